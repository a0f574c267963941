// Generates the API client (message types and service descriptors) from proto/casecoord/v1 with
// protoc and protoc-gen-es, into src/gen/ (not committed: the console is always built against
// the protos of the same checkout, so it cannot drift from the API).
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const protoRoot = resolve(web, "../../proto");
const out = join(web, "src/gen");
const files = readdirSync(join(protoRoot, "casecoord/v1"))
  .filter((f) => f.endsWith(".proto"))
  .map((f) => `casecoord/v1/${f}`)
  .concat(["google/rpc/error_details.proto"]);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  "protoc",
  [
    `--plugin=protoc-gen-es=${join(web, "node_modules/.bin/protoc-gen-es")}`,
    `--es_out=${out}`,
    "--es_opt=target=ts,import_extension=none",
    `-I${protoRoot}`,
    "-I/usr/include",
    ...files,
  ],
  { stdio: "inherit" },
);
