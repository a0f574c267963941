// The signed-in user and the session's life in the browser: sign-in and enrolment through
// /auth/*, the idle clock (a warning two minutes before the server would end the session), and
// re-authentication when a call finds the session gone, so a form being submitted is not lost.
//
// Nothing here touches localStorage, sessionStorage or cookies the script can read: the session
// cookie is HttpOnly, and everything else lives in this module's memory. Signing out, or an
// expiry with no form in progress, reloads the page, which drops every byte the console held.

export interface SessionUser {
  userId: string;
  displayName: string;
  roles: string[];
  agency: string;
  idleTimeoutSeconds: number;
}

export interface Enrollment {
  token: string;
  newPasswordRequired: boolean;
  otpauthUri: string;
  secret: string;
  qrSvg: string;
}

export type SignInOutcome =
  | { kind: "signed-in" }
  | { kind: "enroll"; enrollment: Enrollment }
  | { kind: "failed"; message: string; retryAfterSeconds?: number };

type Phase = "unknown" | "signed-out" | "signed-in" | "reauth";

const WARNING_BEFORE_IDLE_MS = 2 * 60 * 1000;

let user: SessionUser | undefined;
let phase: Phase = "unknown";
let lastActivity = Date.now();
let warningVisible = false;
let idleTimer: number | undefined;
let pendingReauth: Array<() => void> = [];
let draftsInProgress = 0;
const listeners = new Set<() => void>();

function notify(): void {
  listeners.forEach((listener) => listener());
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentUser(): SessionUser | undefined {
  return user;
}

export function sessionPhase(): Phase {
  return phase;
}

export function idleWarningVisible(): boolean {
  return warningVisible;
}

export function hasRole(role: string): boolean {
  return !!user?.roles.includes(role);
}

async function postAuth(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Connect-Protocol-Version": "1" },
    body: JSON.stringify(body),
    cache: "no-store",
    credentials: "same-origin",
  });
}

interface ErrorBody {
  message?: string;
  details?: Array<{ type: string; debug?: { locale?: string; message?: string; retryDelay?: string } }>;
}

function failureOf(body: ErrorBody): SignInOutcome {
  let message = body.message ?? "";
  let retryAfterSeconds: number | undefined;
  for (const detail of body.details ?? []) {
    if (detail.type === "google.rpc.LocalizedMessage" && detail.debug?.locale === "ja-JP") {
      message = detail.debug.message ?? message;
    }
    if (detail.type === "google.rpc.RetryInfo" && detail.debug?.retryDelay) {
      retryAfterSeconds = Math.ceil(parseFloat(detail.debug.retryDelay));
    }
  }
  return { kind: "failed", message, retryAfterSeconds };
}

declare global {
  interface Window {
    /** The answer to /auth/session that boot.ts asked for before this script ran. */
    casecoordSession?: Promise<Response>;
  }
}

/** Reads the current session from the server; the sign-in page when there is none. Only the
 *  page's first call may pass `early` (boot.ts's answer): any later answer of it is stale. */
export async function loadSession(early?: Promise<Response>): Promise<void> {
  window.casecoordSession = undefined;
  const response = await (early ?? postAuth("/auth/session", {})).catch(() => postAuth("/auth/session", {}));
  if (!response.ok) {
    user = undefined;
    phase = "signed-out";
    notify();
    return;
  }
  const described = (await response.json()) as Partial<SessionUser>;
  const next: SessionUser = {
    userId: described.userId ?? "",
    displayName: described.displayName ?? described.userId ?? "",
    roles: described.roles ?? [],
    agency: described.agency ?? "",
    idleTimeoutSeconds: described.idleTimeoutSeconds ?? 1800,
  };
  if (user && user.userId !== next.userId) {
    // Someone else signed in: nothing of the previous user may stay in memory.
    location.reload();
    return;
  }
  user = next;
  phase = "signed-in";
  noteActivity();
  const waiting = pendingReauth;
  pendingReauth = [];
  waiting.forEach((resume) => resume());
  notify();
}

async function finishSignIn(response: Response): Promise<SignInOutcome> {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return failureOf(body as ErrorBody);
  if ((body as { enrollment?: Enrollment }).enrollment) {
    return { kind: "enroll", enrollment: (body as { enrollment: Enrollment }).enrollment };
  }
  await loadSession();
  return { kind: "signed-in" };
}

export async function signIn(userId: string, password: string, code: string): Promise<SignInOutcome> {
  return finishSignIn(await postAuth("/auth/sign-in", { userId, password, code }));
}

export async function enroll(token: string, newPassword: string, code: string): Promise<SignInOutcome> {
  return finishSignIn(await postAuth("/auth/enroll", { token, newPassword, code }));
}

/** Ends the session on the server and drops everything the page held. */
export async function signOut(): Promise<void> {
  try {
    await postAuth("/auth/sign-out", {});
  } finally {
    location.replace("/");
  }
}

/** Every call the server answered counts as activity: it restarted the server's idle clock. */
export function noteActivity(): void {
  lastActivity = Date.now();
  if (warningVisible) {
    warningVisible = false;
    notify();
  }
  scheduleIdleCheck();
}

function scheduleIdleCheck(): void {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  if (!user) return;
  const idleMs = user.idleTimeoutSeconds * 1000;
  const now = Date.now();
  const warnAt = lastActivity + idleMs - WARNING_BEFORE_IDLE_MS;
  const endAt = lastActivity + idleMs;
  if (now < warnAt) {
    idleTimer = window.setTimeout(scheduleIdleCheck, warnAt - now);
  } else if (now < endAt) {
    if (!warningVisible) {
      warningVisible = true;
      notify();
    }
    idleTimer = window.setTimeout(scheduleIdleCheck, endAt - now);
  } else {
    sessionEnded();
  }
}

/** The session is over on the server. With no form in progress, reload (memory cleared);
 *  with one, ask the same user to sign in again over a cover that hides the page. */
export function sessionEnded(): void {
  warningVisible = false;
  if (draftsInProgress === 0 && pendingReauth.length === 0) {
    location.replace("/");
    return;
  }
  phase = "reauth";
  notify();
}

/** Resolves once the user has signed in again (the API client retries the call then). */
export function awaitReauthentication(): Promise<void> {
  return new Promise((resume) => {
    pendingReauth.push(resume);
    if (phase !== "reauth") {
      phase = "reauth";
      notify();
    }
  });
}

/** Keeps the session alive from the idle warning's "continue" button. */
export async function extendSession(): Promise<void> {
  await loadSession();
}

/** A form with unsaved input registers itself so an expiry asks to sign in instead of reloading. */
export function holdDraft(): () => void {
  draftsInProgress += 1;
  return () => {
    draftsInProgress -= 1;
  };
}
