// One Connect client per service, generated from the protos. Calls go to the same origin with the
// session cookie; a call that finds the session gone waits for the user to sign in again and is
// then sent once more, so what was being submitted is not lost.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { Admin } from "./gen/casecoord/v1/admin_pb";
import { Advisers } from "./gen/casecoord/v1/advisers_pb";
import { Cases } from "./gen/casecoord/v1/cases_pb";
import { AgencyDirectory } from "./gen/casecoord/v1/directory_pb";
import { Meetings } from "./gen/casecoord/v1/meetings_pb";
import { Monitoring } from "./gen/casecoord/v1/monitoring_pb";
import { Statistics } from "./gen/casecoord/v1/statistics_pb";
import { Vocabularies } from "./gen/casecoord/v1/vocabularies_pb";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  LocalizedMessageSchema,
} from "./gen/google/rpc/error_details_pb";
import { currentLanguage } from "./i18n";
import { awaitReauthentication, noteActivity } from "./session";

const sessionKeeper: Interceptor = (next) => async (request) => {
  try {
    const response = await next(request);
    noteActivity();
    return response;
  } catch (error) {
    if (ConnectError.from(error).code !== Code.Unauthenticated || request.stream) throw error;
    await awaitReauthentication();
    const response = await next(request);
    noteActivity();
    return response;
  }
};

const transport = createConnectTransport({
  baseUrl: location.origin,
  useBinaryFormat: true,
  interceptors: [sessionKeeper],
  fetch: (input, init) => globalThis.fetch(input, { ...init, cache: "no-store", credentials: "same-origin" }),
});

export const admin = createClient(Admin, transport);
export const advisers = createClient(Advisers, transport);
export const cases = createClient(Cases, transport);
export const directory = createClient(AgencyDirectory, transport);
export const meetings = createClient(Meetings, transport);
export const monitoring = createClient(Monitoring, transport);
export const statistics = createClient(Statistics, transport);
export const vocabularies = createClient(Vocabularies, transport);

export interface ExplainedError {
  /** The server's message in the reader's language (its LocalizedMessage), else the raw one. */
  message: string;
  /** ErrorInfo.reason, e.g. "STALE_ETAG". */
  reason: string;
  code: Code;
  /** Field violations: field path → description. */
  fields: Array<{ field: string; description: string }>;
}

/** What to show a person for a failed call. */
export function explain(error: unknown): ExplainedError {
  const connectError = ConnectError.from(error);
  const wanted = currentLanguage() === "ja" ? "ja" : "en";
  let message = connectError.rawMessage;
  for (const localized of connectError.findDetails(LocalizedMessageSchema)) {
    if (localized.locale.startsWith(wanted)) message = localized.message;
  }
  const info = connectError.findDetails(ErrorInfoSchema)[0];
  const fields = connectError
    .findDetails(BadRequestSchema)
    .flatMap((bad) => bad.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  return { message, reason: info?.reason ?? "", code: connectError.code, fields };
}
