// Bundles the console into dist/ (served by caseserver at / from the setting `console-dir`).
// Asset names carry a content hash, so a browser never mixes an old script with a new page;
// index.html names them and holds no inline script (the server's CSP forbids it).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// CONSOLE_OUT_DIR: another output directory (e.g. one per developer server); default dist/.
const dist = resolve(process.env.CONSOLE_OUT_DIR ?? join(web, "dist"));
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await build({
  entryPoints: [join(web, "src/main.tsx"), join(web, "src/styles.css")],
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["chrome109", "firefox115", "safari15"],
  minify: true,
  sourcemap: false,
  metafile: true,
  legalComments: "linked",
  jsx: "automatic",
  jsxImportSource: "preact",
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const outputOf = (source) => basename(outputs.find(([, o]) => o.entryPoint === source)[0]);
const html = readFileSync(join(web, "src/index.html"), "utf8")
  .replace("%SCRIPT%", `/assets/${outputOf("src/main.tsx")}`)
  .replace("%STYLE%", `/assets/${outputOf("src/styles.css")}`);
writeFileSync(join(dist, "index.html"), html);
copyFileSync(join(web, "src/favicon.svg"), join(dist, "favicon.svg"));
