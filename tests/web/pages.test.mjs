// Every screen of the console that the flow test does not reach, as the roles that use it, on the
// demo data of `make run`: each renders its page (not the "not available" one, no script error),
// passes axe (no serious or critical violation), and leaves a screenshot. Also the case page at a
// tablet's size and in English, and the A4 print views under print media.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { settle, startRun } from "./harness.mjs";

let run;

before(async () => {
  run = await startRun("pages");
});

after(async () => {
  if (run) {
    console.log(`# screenshots: ${run.screenshots}`);
    await run.close();
  }
});

// The demo's first household (two members, coordinating) and an agency of the demo directory.
const DEMO_CASE = "1";
const DEMO_AGENCY = "kita-houkatsu-1";

const SCREENS = {
  coordinator: [
    ["/", "home"], ["/cases", "case-list"], [`/cases/${DEMO_CASE}`, "case"],
    [`/cases/${DEMO_CASE}/plan`, "plan"], [`/cases/${DEMO_CASE}/meetings/new`, "meeting-new"],
    ["/meetings", "meetings"], ["/dispatches", "dispatches"], [`/dispatches?case=${DEMO_CASE}`, "dispatch-request"],
    ["/directory", "directory"], [`/directory/${DEMO_AGENCY}`, "agency"], ["/referrals", "referrals"],
    ["/statistics", "statistics"], ["/welfare-plans", "welfare-plans"],
  ],
  "agency-staff": [["/", "home"], ["/referrals", "referrals"], ["/cases", "case-list"], ["/meetings", "meetings"],
    ["/directory", "directory"]],
  adviser: [["/", "home"], ["/dispatches", "dispatches"], ["/meetings", "meetings"]],
  planner: [["/", "home"], ["/statistics", "statistics"], ["/welfare-plans", "welfare-plans"]],
};

/** Opens `path` as `actor`, checks it rendered a page of its own, and runs axe on it. */
async function visit(actor, path, label) {
  const before = actor.errors.length;
  await actor.open(path);
  await actor.page.locator("h1").first().waitFor();
  const heading = await actor.heading();
  assert.notEqual(heading, "表示できません", `${actor.user} ${path}: the "not available" page`);
  await actor.check(label);
  const scriptErrors = actor.errors.slice(before).filter((e) => !e.startsWith("HTTP "));
  assert.deepEqual(scriptErrors, [], `${actor.user} ${path}: script errors`);
}

for (const [user, screens] of Object.entries(SCREENS)) {
  test(`every screen of ${user} renders and passes axe`, async () => {
    const actor = await run.signIn(user);
    for (const [path, label] of screens) await visit(actor, path, label);
  });
}

test("the case page at a tablet's size and in English, and the print views under print media", async () => {
  const coordinator = run.actors.get("coordinator") ?? await run.signIn("coordinator");
  const { page } = coordinator;
  await page.setViewportSize({ width: 768, height: 1024 });
  await visit(coordinator, `/cases/${DEMO_CASE}`, "case-tablet");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the case page scrolls sideways by ${overflow} px at 768 px`);

  await page.getByRole("button", { name: "English" }).click();
  await settle(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await coordinator.check("case-english");
  await page.getByRole("button", { name: "日本語" }).click();
  await page.setViewportSize({ width: 1366, height: 768 });

  await visit(coordinator, `/cases/${DEMO_CASE}/print`, "case-print");
  await page.emulateMedia({ media: "print" });
  const printed = await page.locator("main").innerText();
  const menuPrinted = await page.locator("header.top").isVisible();
  await coordinator.check("case-print-media");
  await page.emulateMedia({ media: "screen" });
  assert.doesNotMatch(printed, /agencies\/|users\//, "a printed page names resources by id");
  assert.equal(menuPrinted, false, "the menu bar is printed");
});

test("axe: no serious or critical violation on any of these pages", () => {
  console.log(`# axe checked ${run.pages.length} pages`);
  const report = run.axeReport();
  assert.equal(report, "", `axe-core found serious or critical violations:\n${report}`);
});
