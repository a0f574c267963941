// The browser tests' harness (issue 18): a fresh caseserver in development mode (demo users, cases,
// directory and vocabularies as deploy/dev.conf, its own data dir and development PKI, both ports
// chosen by the kernel), Debian's Chromium driven by playwright-core, sign-in through the real
// form with a TOTP code computed here, and for every page visited a full-page screenshot, an
// axe-core run and a record of its URL.
//
// Environment (ctest sets the first two; the defaults suit a run from the repository root):
//   CASECOORD_SOURCE_DIR   the repository (default: two levels above this file)
//   CASECOORD_BUILD_DIR    the build tree: caseserver, and console-screenshots/ (default: build)
//   CASECOORD_CONSOLE_DIR  the built console to serve (default: clients/web/dist)
//   CASECOORD_CHROMIUM     the browser (default: /usr/bin/chromium)
//   CASECOORD_DEBUG_SETTLE print the requests still in flight when a page does not settle in 10 s
import { spawn, execFileSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const SOURCE_DIR = resolve(
  process.env.CASECOORD_SOURCE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "../.."));
export const BUILD_DIR = resolve(process.env.CASECOORD_BUILD_DIR ?? join(SOURCE_DIR, "build"));
export const CONSOLE_DIR = resolve(
  process.env.CASECOORD_CONSOLE_DIR ?? join(SOURCE_DIR, "clients/web/dist"));
const WEB_DIR = join(SOURCE_DIR, "clients/web");
const CHROMIUM = process.env.CASECOORD_CHROMIUM ?? "/usr/bin/chromium";

// playwright-core and axe-core are the console's development dependencies (its lock file).
const requireFromWeb = createRequire(join(WEB_DIR, "package.json"));
const { chromium } = requireFromWeb("playwright-core");
const AXE_SOURCE = readFileSync(requireFromWeb.resolve("axe-core/axe.min.js"), "utf8");

// Actions wait this long before failing with the locator in the message; a loaded 2-core machine
// running the C++ suite beside us needs more than Playwright's usual few seconds.
export const ACTION_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 30 s, 6 digits) with the development secret of a demo user, exactly
// as deploy/dev-totp.sh derives it: SHA-256("casecoord-development-totp:" + user)[:20].

export function totpSecret(user) {
  return createHash("sha256").update(`casecoord-development-totp:${user}`).digest().subarray(0, 20);
}

export function totpCode(user, unixSeconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", totpSecret(user)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const word = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(word % 1_000_000).padStart(6, "0");
}

// ---------------------------------------------------------------------------------------------
// The server.

/** Starts a fresh caseserver in development mode; resolves once both listeners serve.
 *  `settings` are added to its configuration ({ "session-idle-minutes": 3 }). */
export async function startServer({ name = "console", settings = {} } = {}) {
  const caseserver = join(BUILD_DIR, "services/server/caseserver");
  if (!existsSync(caseserver)) throw new Error(`no caseserver at ${caseserver} (build first)`);
  if (!existsSync(join(CONSOLE_DIR, "index.html"))) {
    throw new Error(`no console at ${CONSOLE_DIR} (build the \`console\` target, or set CASECOORD_CONSOLE_DIR)`);
  }
  const dir = mkdtempSync(join(tmpdir(), `casecoord-${name}-`));
  // The development PKI and keys, as `make run` lays them out (deploy/dev-setup.sh).
  execFileSync(join(SOURCE_DIR, "deploy/dev-setup.sh"), [dir, caseserver], { stdio: "pipe" });
  // deploy/dev.conf with its paths made absolute: var/dev -> our directory, the demo files from
  // the repository. The listen addresses are overridden by flags (port 0: the kernel chooses).
  const conf = readFileSync(join(SOURCE_DIR, "deploy/dev.conf"), "utf8")
    .replaceAll("var/dev", dir)
    .replaceAll("deploy/demo/", `${SOURCE_DIR}/deploy/demo/`);
  const extra = Object.entries(settings).map(([key, value]) => `${key} = ${value}\n`).join("");
  writeFileSync(join(dir, "dev.conf"), `${conf}\nconsole-dir = ${CONSOLE_DIR}\n${extra}`);

  const child = spawn(caseserver, ["serve", "--config", join(dir, "dev.conf"),
    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
    "--metrics-listen", "127.0.0.1:0"], {
    cwd: SOURCE_DIR, stdio: ["ignore", "ignore", "pipe"],
  });
  // Never leave a server behind: killed with this process however it ends (a failed assertion,
  // an uncaught error, Ctrl-C or ctest's timeout signal).
  const killChild = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.on("exit", killChild);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      killChild();
      rmSync(dir, { recursive: true, force: true });
      process.exit(128 + 2);
    });
  }
  const log = [];
  let grpcPort = 0, httpPort = 0;
  const serving = new Promise((resolveServing, rejectServing) => {
    let buffered = "";
    const timer = setTimeout(() => rejectServing(new Error(
      `caseserver did not start serving within 60 s:\n${log.join("\n")}`)), 60_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        log.push(line);
        let json;
        try { json = JSON.parse(line); } catch { continue; }
        // The HTTP listener's line comes before "caseserver serving" (as readme_test reads them).
        if (json.msg === "HTTP listener serving") httpPort = Number(json.port);
        if (json.msg === "caseserver serving") {
          grpcPort = Number(json.port);
          clearTimeout(timer);
          if (httpPort > 0) resolveServing();
          else rejectServing(new Error(`no "HTTP listener serving" line:\n${log.join("\n")}`));
        }
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      rejectServing(new Error(`caseserver exited (${code ?? signal}) before serving:\n${log.join("\n")}`));
    });
  });
  const exited = new Promise((r) => child.on("exit", (code, signal) => r(code ?? signal)));
  const server = {
    dir, log, child,
    get grpcPort() { return grpcPort; },
    get httpPort() { return httpPort; },
    get base() { return `https://127.0.0.1:${httpPort}`; },
    /** casectl against this server as `user` (its development certificate). */
    casectl(user, args, options = {}) {
      return execFileSync(join(BUILD_DIR, "clients/cli/casectl"), [
        "--server", `127.0.0.1:${grpcPort}`, "--ca", join(dir, "pki/ca.crt"),
        "--cert", join(dir, "pki/users", `${user}.crt`), "--key", join(dir, "pki/users", `${user}.key`),
        ...args], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"], ...options });
    },
    /** SIGTERM (graceful), SIGKILL after 10 s; removes the data directory. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await serving;
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

// ---------------------------------------------------------------------------------------------
// The browser, one context per user for the whole run (a TOTP code is accepted once per user per
// 30 s step, so a user signs in once).

/**
 * A run: server + browser + the record of pages. `name` names the screenshots' subdirectory
 * (<build>/console-screenshots/<name>/).
 */
export async function startRun(name, settings = {}) {
  const server = await startServer({ name, settings });
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const screenshots = join(BUILD_DIR, "console-screenshots", name);
  rmSync(screenshots, { recursive: true, force: true });
  mkdirSync(screenshots, { recursive: true });
  return new Run(name, server, browser, screenshots);
}

class Run {
  constructor(name, server, browser, screenshots) {
    this.name = name;
    this.server = server;
    this.browser = browser;
    this.screenshots = screenshots;
    /** Every URL a page of this run navigated to or requested: { user, url }. */
    this.urls = [];
    /** Pages checked: { user, label, url, screenshot, violations: [...] }. */
    this.pages = [];
    this.actors = new Map();
    /** Full loads after which the console rendered nothing (see Actor.waitForApp). */
    this.blankStarts = [];
    this.shot = 0;
  }

  /** A new context for `user` (not signed in yet). */
  async actor(user) {
    const context = await this.browser.newContext({
      ignoreHTTPSErrors: true, viewport: { width: 1366, height: 768 }, locale: "ja-JP",
      timezoneId: "Asia/Tokyo",
    });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    const page = await context.newPage();
    trackRequests(page);
    const actor = new Actor(this, user, context, page);
    this.actors.set(user, actor);
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) this.urls.push({ user, url: frame.url() });
    });
    page.on("request", (request) => this.urls.push({ user, url: request.url() }));
    page.on("pageerror", (error) => actor.errors.push(String(error?.stack ?? error)));
    page.on("response", (response) => {
      if (response.status() >= 400) {
        actor.errors.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
      }
    });
    return actor;
  }

  /** `user` in its own context, signed in through the form. */
  async signIn(user) {
    const actor = await this.actor(user);
    await actor.signIn();
    return actor;
  }

  /** Screenshot + axe + record, for the page `actor` shows now. */
  async checkPage(actor, label) {
    const { page } = actor;
    await settle(page);
    const number = String(++this.shot).padStart(2, "0");
    const file = join(this.screenshots, `${number}-${actor.user}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const violations = await runAxe(page);
    const record = { user: actor.user, label, url: page.url(), screenshot: file, violations };
    this.pages.push(record);
    return record;
  }

  /** Serious and critical axe findings of every page checked, as readable text. */
  axeReport() {
    const lines = [];
    for (const record of this.pages) {
      for (const v of record.violations) {
        lines.push(`${record.label} (${record.user}, ${record.url}): [${v.impact}] ${v.id}: ${v.help}`);
        for (const node of v.nodes.slice(0, 8)) {
          lines.push(`    ${node.target.join(" ")}  ${node.failureSummary?.split("\n").slice(1).join("; ") ?? ""}`);
        }
        if (v.nodes.length > 8) lines.push(`    … and ${v.nodes.length - 8} more`);
      }
    }
    return lines.join("\n");
  }

  async close() {
    try {
      await this.browser?.close();
    } finally {
      await this.server.stop();
    }
  }
}

class Actor {
  constructor(run, user, context, page) {
    this.run = run;
    this.user = user;
    this.context = context;
    this.page = page;
    this.errors = [];
  }

  /** Opens a hash route (#/cases/12) of the console. */
  async open(hashPath) {
    const target = `${this.run.server.base}/#${hashPath}`;
    const current = this.page.url();
    if (current === target || current === `${this.run.server.base}/#${hashPath}`) {
      // The same route again: a fresh load (a hash assignment to the same value does nothing).
      await this.page.reload();
      await this.waitForApp();
    } else if (current.startsWith(this.run.server.base)) {
      // Same document: a hash change, as a click on a link would make.
      await this.page.evaluate((hash) => { location.hash = hash; }, hashPath);
    } else {
      await this.page.goto(target);
      await this.waitForApp();
    }
    await settle(this.page);
  }

  async signIn() {
    const { page } = this;
    await page.goto(`${this.run.server.base}/`);
    await this.waitForApp();
    await page.getByLabel("ユーザーID").waitFor().catch(async (error) => {
      const body = (await page.locator("body").innerHTML().catch(() => "")).slice(0, 600);
      throw new Error(`the sign-in form did not appear for ${this.user} (${error.message.split("\n")[0]});\n` +
        `page: ${body}\nerrors: ${this.errors.join("; ")}`);
    });
    await page.getByLabel("ユーザーID").fill(this.user);
    await page.getByLabel("パスワード", { exact: true }).fill(`${this.user}-dev-password`);
    // Never reuse a code: wait for a fresh step when the current one has few seconds left, so the
    // code is still current when the server checks it.
    const secondsLeft = 30 - (Date.now() / 1000) % 30;
    if (secondsLeft < 3) await page.waitForTimeout(secondsLeft * 1000 + 200);
    await page.getByLabel(/^確認コード/).fill(totpCode(this.user));
    await this.run.checkPage(this, "sign-in");
    await page.getByRole("button", { name: "サインイン" }).click();
    await page.getByRole("navigation", { name: "メインメニュー" }).waitFor().catch(async (error) => {
      const alert = await page.getByRole("alert").allInnerTexts().catch(() => []);
      throw new Error(`${this.user} did not reach the signed-in console: ${alert.join(" / ") || error.message}`);
    });
    await settle(page);
  }

  /**
   * Waits for the console to render something into #app after a full load. A console that stays
   * blank is recorded in run.blankStarts (a test fails on it) and reloaded once, so that the rest
   * of the flow still runs.
   */
  async waitForApp() {
    const rendered = () => this.page.waitForFunction(
      () => (document.getElementById("app")?.childElementCount ?? 0) > 0, null, { timeout: 10_000 });
    try {
      await rendered();
    } catch {
      this.run.blankStarts.push(`${this.user} at ${this.page.url()} (${this.errors.slice(-3).join("; ")})`);
      await this.page.reload();
      await rendered();
    }
  }

  /** A full navigation (a new document) to a hash route. */
  async goto(hashPath) {
    await this.page.goto(`${this.run.server.base}/#${hashPath}`);
    await this.waitForApp();
    await settle(this.page);
  }

  /** The page's main heading (h1) text. */
  async heading() {
    return (await this.page.locator("h1").first().innerText()).trim();
  }

  async check(label) {
    return this.run.checkPage(this, label);
  }
}

// Requests in flight per page, without the live streams (WatchDueItems never ends).
const inFlight = new WeakMap();

function trackRequests(page) {
  const pending = new Set();
  inFlight.set(page, pending);
  const live = (request) => !/\/Watch[A-Z]/.test(request.url());
  page.on("request", (request) => live(request) && pending.add(request));
  // Answered is enough: a body nobody reads (a 401's) never "finishes".
  page.on("response", (response) => pending.delete(response.request()));
  page.on("requestfinished", (request) => pending.delete(request));
  page.on("requestfailed", (request) => pending.delete(request));
  page.on("framenavigated", (frame) => frame === page.mainFrame() && frame.url() === "about:blank" && pending.clear());
}

/**
 * Waits until the page shows no loading indicator and no request (but a live stream) has been in
 * flight for 250 ms, at most 10 s (then it goes on: the step's own checks say what is missing).
 */
export async function settle(page) {
  await page.waitForLoadState("domcontentloaded");
  const deadline = Date.now() + 10_000;
  const pending = inFlight.get(page);
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const busy = (pending && pending.size > 0) ||
      await page.evaluate(() => !!document.querySelector(".loading")).catch(() => true);
    if (busy) quietSince = Date.now();
    else if (Date.now() - quietSince >= 250) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (process.env.CASECOORD_DEBUG_SETTLE) {
    console.log(`# settle timed out: ${[...(pending ?? [])].map((r) => r.url()).join(", ")}`);
  }
}

/**
 * axe-core's serious and critical violations on the page. The script is evaluated through the
 * DevTools protocol (page.evaluate), which the console's CSP (no inline script) does not block.
 */
export async function runAxe(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      resultTypes: ["violations"],
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), failureSummary: n.failureSummary })),
    }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Fails with `message` unless `condition`. */
export function expect(condition, message) {
  if (!condition) throw new Error(message);
}
