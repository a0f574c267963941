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
  entryPoints: [join(web, "src/boot.ts"), join(web, "src/main.tsx"), join(web, "src/styles.css")],
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
const outputOf = (source) => outputs.find(([, o]) => o.entryPoint === source);
const [mainPath, main] = outputOf("src/main.tsx");
// The chunks the main script imports statically, fetched at once rather than after it is parsed.
const preloads = main.imports
  .filter((i) => i.kind === "import-statement")
  .map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">`)
  .join("\n");
const html = readFileSync(join(web, "src/index.html"), "utf8")
  .replace("%PRELOADS%", preloads)
  .replace("%BOOT%", `/assets/${basename(outputOf("src/boot.ts")[0])}`)
  .replace("%SCRIPT%", `/assets/${basename(mainPath)}`)
  .replace("%STYLE%", `/assets/${basename(outputOf("src/styles.css")[0])}`);
writeFileSync(join(dist, "index.html"), html);
copyFileSync(join(web, "src/favicon.svg"), join(dist, "favicon.svg"));
