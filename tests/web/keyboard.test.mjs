// Keyboard only (issue 18): a coordinator fills the intake form (#/cases/new) with Tab, typing,
// Space and the arrow keys, submits it with Enter on 「受付を登録」, and the case page opens. At
// every stop the focused element must show where it is (an outline or a box-shadow).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { settle, startRun } from "./harness.mjs";

let run;

before(async () => {
  run = await startRun("keyboard");
});

after(async () => {
  if (run) {
    console.log(`# screenshots: ${run.screenshots}`);
    await run.close();
  }
});

/** The focused element: its accessible label (label[for], aria-label or text), tag, type, focus style. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { label: "", tag: "BODY", visible: false };
    const byFor = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
    const label = (el.getAttribute("aria-label") ?? byFor?.textContent ?? el.textContent ?? "").trim();
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none" && style.boxShadow !== "";
    // Focus inside the browser's own parts of a control (the calendar button of a date input) leaves
    // the input itself unfocused (:focus is false there); Chromium draws that part's ring itself.
    const inBrowserPart = !el.matches(":focus");
    return {
      label, tag: el.tagName, type: el.getAttribute("type") ?? "", visible: outline || shadow || inBrowserPart,
      style: `outline: ${style.outlineStyle} ${style.outlineWidth}; box-shadow: ${style.boxShadow}`,
    };
  });
}

test("the intake form can be filled and submitted with the keyboard alone", async () => {
  const coordinator = await run.signIn("coordinator");
  const { page } = coordinator;
  await coordinator.open("/cases/new");
  await page.getByRole("button", { name: "受付を登録" }).waitFor();
  await settle(page);
  // Start where a keyboard user starts: the page's heading has the focus on arrival.
  await page.locator("#page-heading").focus();
  await coordinator.check("keyboard-intake-empty");

  const passed = [];
  const invisible = [];
  /** Tabs forward until the focused element's label matches `pattern`; fails after `limit` stops. */
  async function tabTo(pattern, limit = 80) {
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press("Tab");
      const f = await focused(page);
      passed.push(`${f.tag}${f.type ? `[${f.type}]` : ""} 「${f.label.slice(0, 30)}」`);
      if (!f.visible) invisible.push(`${f.tag} 「${f.label.slice(0, 30)}」 (${f.style})`);
      if (pattern.test(f.label)) return f;
    }
    throw new Error(`no control matching ${pattern} within ${limit} Tab presses; passed:\n  ${passed.slice(-limit).join("\n  ")}`);
  }

  // Required: つなぎ元の機関 (a select: the arrow key picks the first agency), 相談内容, 地区, 世帯員1 氏名.
  await tabTo(/^つなぎ元の機関$/);
  await page.keyboard.press("ArrowDown");
  await tabTo(/^相談内容$/);
  await page.keyboard.type("キーボードだけで入力した相談（試験）");
  await tabTo(/^地区$/);
  await page.keyboard.press("ArrowDown");
  // A household issue: a checkbox toggled with Space.
  const tag = await tabTo(/8050/);
  assert.equal(tag.type, "checkbox", "the household issue 8050 is not a checkbox");
  await page.keyboard.press("Space");
  await tabTo(/^世帯員1 氏名$/);
  await page.keyboard.type("鍵盤 太郎");
  await tabTo(/^世帯員1 フリガナ$/);
  await page.keyboard.type("ケンバン タロウ");
  const submit = await tabTo(/^受付を登録$/, 120);
  assert.equal(submit.tag, "BUTTON");
  await coordinator.check("keyboard-intake-filled");

  const values = await page.evaluate(() => [...document.querySelectorAll("form input, form select, form textarea")]
    .filter((el) => el.required).map((el) => [el.labels?.[0]?.textContent ?? el.name, el.value]));
  for (const [label, value] of values) assert.ok(value, `the required field 「${label}」 is empty after typing`);
  const checked = await page.getByRole("group", { name: "世帯の課題" }).getByRole("checkbox", { checked: true }).count();
  assert.equal(checked, 1, "Space did not check the household issue");

  await page.keyboard.press("Enter");
  await page.waitForURL(/#\/cases\/\d+$/).catch(async () => {
    const alerts = await page.getByRole("alert").allInnerTexts();
    throw new Error(`Enter on 「受付を登録」 did not open a case page (alerts: ${alerts.join(" / ") || "none"})`);
  });
  await settle(page);
  const text = await page.locator("main").innerText();
  assert.ok(text.includes("鍵盤 太郎"), "the case page opened by the keyboard does not show the member");
  await coordinator.check("keyboard-case-opened");

  assert.deepEqual(invisible, [], "focused elements without a visible focus indicator");
  console.log(`# ${passed.length} Tab stops, every one with a visible focus indicator`);
});

test("axe: no serious or critical violation on the pages of the keyboard test", () => {
  assert.ok(run?.pages.length, "no page was checked");
  const report = run.axeReport();
  assert.equal(report, "", `axe-core found serious or critical violations:\n${report}`);
});
