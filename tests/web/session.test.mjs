// How a session ends in the browser (issue 18, privacy): the warning before the idle timeout, and
// a form being typed that survives the end of its session — the console asks the same user to
// sign in again over an opaque cover and then sends what was submitted. The server runs with
// session-idle-minutes = 3, so the warning (two minutes before the end) comes a minute after the
// last call.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { settle, startRun, totpCode } from "./harness.mjs";

let run;

before(async () => {
  run = await startRun("session", { "session-idle-minutes": 3 });
});

after(async () => {
  if (run) {
    console.log(`# screenshots: ${run.screenshots}`);
    await run.close();
  }
});

const WARNING = "まもなく自動的にサインアウトします";
const SIGN_IN_AGAIN = "再度サインインしてください";

test("a minute without a call brings the warning; 続ける keeps the session and closes it", async () => {
  const planner = await run.signIn("planner");
  const { page } = planner;
  await planner.open("/statistics");
  const warning = page.getByRole("dialog", { name: WARNING });
  assert.equal(await warning.isVisible(), false, "the warning came before the idle time had passed");
  await warning.waitFor({ state: "visible", timeout: 75_000 });
  await planner.check("idle-warning");
  await warning.getByRole("button", { name: "続ける" }).click();
  await warning.waitFor({ state: "hidden" });
  // The session is still the same one: a call succeeds without signing in again.
  await planner.open("/welfare-plans");
  assert.equal(await page.getByRole("dialog", { name: SIGN_IN_AGAIN }).isVisible(), false);
});

test("a consultation typed while the session was revoked is sent once its user signs in again", async () => {
  const coordinator = await run.signIn("coordinator");
  const { page } = coordinator;
  const signedInAt = Date.now() / 1000;
  await coordinator.open("/cases/1");
  const text = "セッション終了後にも失われない記録（ブラウザ試験）";
  await page.getByLabel("相談内容", { exact: true }).fill(text);

  // An admin ends every session of the coordinator (as when a password is reset).
  const sessions = JSON.parse(run.server.casectl("admin", ["--json", "session", "list", "--user", "coordinator"]));
  const list = sessions.sessions ?? sessions;
  assert.ok(list.length >= 1, "the coordinator's session is listed");
  for (const session of list) {
    run.server.casectl("admin", ["session", "revoke", session.session_id ?? session.sessionId]);
  }

  await page.getByRole("button", { name: "記録する" }).click();
  const again = page.getByRole("dialog", { name: SIGN_IN_AGAIN });
  await again.waitFor({ state: "visible" });
  assert.equal(await page.locator("main").getAttribute("aria-hidden"), "true", "the page is not hidden");
  await coordinator.check("sign-in-again");
  assert.equal(await again.getByLabel("ユーザーID").inputValue(), "coordinator");

  // A code is accepted once: wait for the step after the first sign-in's.
  const nextStep = (Math.floor(signedInAt / 30) + 1) * 30;
  const wait = nextStep - Date.now() / 1000;
  if (wait > 0) await page.waitForTimeout(wait * 1000 + 300);
  await again.getByLabel("パスワード", { exact: true }).fill("coordinator-dev-password");
  await again.getByLabel(/^確認コード/).fill(totpCode("coordinator"));
  await again.getByRole("button", { name: "サインイン" }).click();
  await again.waitFor({ state: "hidden" });
  await page.getByText(text).first().waitFor();
  await settle(page);
  await coordinator.check("recorded-after-sign-in");

  // Recorded exactly once, by the server's own count.
  const entries = JSON.parse(run.server.casectl("coordinator", ["--json", "case", "log", "cases/1"]));
  const matching = (entries.entries ?? entries).filter((e) => e.summary === text);
  assert.equal(matching.length, 1, "the consultation was not recorded exactly once");
});

test("axe: no serious or critical violation on the warning and the sign-in-again cover", () => {
  const report = run.axeReport();
  assert.equal(report, "", `axe-core found serious or critical violations:\n${report}`);
});
