// console_bench (issue 18; not a test): the web console's first load in headless Chromium against a
// real caseserver holding 1,000 cases the coordinator sees, and the size of its JavaScript.
//
//   事例一覧   navigation start → the rows of the case table rendered (#/cases)   goal ≤ 1 s
//   事例       navigation start → the case's summary rendered (#/cases/<id>)       goal ≤ 500 ms
//   JS         clients/web/dist/assets/*.js, gzipped, in total                     goal ≤ 300 KB
//
// Each load is a first load: a new browser context (empty HTTP cache) with the signed-in session's
// cookie, navigating from about:blank; 5 runs each, the median reported. The cases are seeded with
// Cases.ImportCases (`casectl case import` of a generated CSV, the columns of
// deploy/demo/cases-import.csv), intake dates in the current fiscal year.
//
// Usage: node bench/console_bench.mjs [--cases N] [--runs N] [--encoding gzip]   (after `make build`; the harness's
// environment variables apply: CASECOORD_BUILD_DIR, CASECOORD_CONSOLE_DIR, ...)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CONSOLE_DIR, startRun } from "../tests/web/harness.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CASES = option("--cases", 1000);
const RUNS = option("--runs", 5);
// --encoding gzip: ask for gzip instead of Chromium's "gzip, deflate, br" (to compare the server's
// compression of the assets).
const ENCODING = args.includes("--encoding") ? args[args.indexOf("--encoding") + 1] : undefined;
const GOALS = { list: 1000, case: 500, js: 300 * 1024 };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Today's date in Japan and the first day of its fiscal year (April 1st). */
function fiscalYearDays() {
  const today = new Date(Date.now() + 9 * 3600 * 1000);
  const year = today.getUTCMonth() >= 3 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
  return { first: Date.UTC(year, 3, 1), last: Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) };
}

/** A CSV of `count` fictional one-member households (deploy/demo/cases-import.csv's columns). */
function casesCsv(count) {
  const header = "管理番号,受付日,地区,つなぎ元,相談内容,つなぎ元の対応,世帯の課題,分野,緊急度,同意," +
    "支援調整開始日,支援決定日,相談のみ完了日,終結日,終結理由,終結の検証,氏名,フリガナ,生年月日,続柄,本人,課題タグ";
  const { first, last } = fiscalYearDays();
  const days = Math.max(1, Math.round((last - first) / 86400_000) + 1);
  const districts = ["kita", "minami", "higashi", "nishi", "chuo"];
  const tags = ["8050", "hikikomori", "debt", "isolation", "dementia"];
  const lines = [header];
  for (let i = 0; i < count; i++) {
    const date = new Date(first + (i % days) * 86400_000).toISOString().slice(0, 10).replaceAll("-", "/");
    const n = String(i + 1).padStart(4, "0");
    lines.push([`BENCH-${n}`, date, districts[i % 5], "kita-houkatsu-1", `計測用の相談 ${n}`, "", tags[i % 5],
      "", "通常", "同意あり", "", "", "", "", "", "", `計測 太郎${n}`, "ケイソク タロウ", "1970/1/1", "本人", "○", ""].join(","));
  }
  return `${lines.join("\n")}\n`;
}

function jsGzipBytes() {
  const dir = join(CONSOLE_DIR, "assets");
  const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
  let raw = 0, gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: files.length, raw, gz };
}

/** One first load of `hashPath`; resolves the ms from navigation start until `ready` holds. */
async function firstLoad(run, cookies, hashPath, ready, arg) {
  const context = await run.browser.newContext({
    ignoreHTTPSErrors: true, viewport: { width: 1366, height: 768 }, locale: "ja-JP", timezoneId: "Asia/Tokyo",
    extraHTTPHeaders: ENCODING ? { "Accept-Encoding": ENCODING } : undefined,
  });
  try {
    await context.addCookies(cookies);
    const page = await context.newPage();
    await page.goto("about:blank");
    await page.goto(`${run.server.base}/#${hashPath}`, { waitUntil: "commit" });
    // Polled every animation frame; returns performance.now() (ms since navigation start) once true.
    const handle = await page.waitForFunction(ready, arg, { timeout: 30_000, polling: "raf" });
    const { at, rows } = await handle.jsonValue();
    return { ms: at, rows };
  } finally {
    await context.close();
  }
}

const run = await startRun("bench");
try {
  const csv = join(run.server.dir, "bench-cases.csv");
  writeFileSync(csv, casesCsv(CASES));
  const seedStart = performance.now();
  run.server.casectl("coordinator", ["case", "import", csv]);
  const seedMs = performance.now() - seedStart;

  const coordinator = await run.signIn("coordinator");
  const cookies = await coordinator.context.cookies();
  // The newest case (the list is newest first): the one a coordinator is most likely to open.
  const listed = JSON.parse(run.server.casectl("coordinator", ["--json", "case", "list", "--page-size", "1"]));
  const newest = (listed.cases ?? listed)[0];
  const caseId = newest.name.split("/")[1];
  const caseNumber = newest.case_number;

  const list = [], page = [];
  let rowsShown = 0;
  for (let i = 0; i < RUNS; i++) {
    const l = await firstLoad(run, cookies, "/cases", () => {
      const rows = document.querySelectorAll("main table tbody tr").length;
      return rows > 0 && { at: performance.now(), rows };
    });
    list.push(l.ms);
    rowsShown = l.rows;
    const c = await firstLoad(run, cookies, `/cases/${caseId}`, (number) => {
      const main = document.querySelector("main");
      return !!main && main.innerText.includes(number) && !main.querySelector(".loading") &&
        { at: performance.now(), rows: 0 };
    }, caseNumber);
    page.push(c.ms);
  }
  await coordinator.open("/cases");
  await coordinator.check("cases-1000");
  await coordinator.open(`/cases/${caseId}`);
  await coordinator.check("case-of-1000");

  const js = jsGzipBytes();
  const verdict = (value, goal) => (value <= goal ? "ok" : "OVER");
  const fmt = (ms) => `${ms.toFixed(0)} ms`;
  console.log(`console_bench: ${CASES} cases seeded by ImportCases in ${(seedMs / 1000).toFixed(1)} s; ` +
    `${RUNS} first loads each (new context, empty cache), headless Chromium, 1366×768` +
    (ENCODING ? `, Accept-Encoding: ${ENCODING}` : ""));
  console.log("");
  console.log("| measure                                  | median   | runs                               | goal     |    |");
  console.log("|------------------------------------------|----------|------------------------------------|----------|----|");
  console.log(`| 事例一覧 #/cases → ${String(rowsShown).padStart(4)} rows rendered     | ${fmt(median(list)).padEnd(8)} | ${list.map((v) => v.toFixed(0)).join(", ").padEnd(34)} | ≤ 1 s    | ${verdict(median(list), GOALS.list)} |`);
  console.log(`| 事例 #/cases/${caseId.padEnd(5)} → summary rendered   | ${fmt(median(page)).padEnd(8)} | ${page.map((v) => v.toFixed(0)).join(", ").padEnd(34)} | ≤ 500 ms | ${verdict(median(page), GOALS.case)} |`);
  console.log(`| JavaScript, ${js.files} files, gzipped (raw ${(js.raw / 1024).toFixed(0)} KB)`.padEnd(43) +
    `| ${((js.gz / 1024).toFixed(1) + " KB").padEnd(8)} |                                    | ≤ 300 KB | ${verdict(js.gz, GOALS.js)} |`);
  console.log("");
  console.log(`screenshots: ${run.screenshots}`);
} finally {
  await run.close();
}
