// The coordinator's, the agency's and the planner's day in headless Chromium against a real
// caseserver (issue 18, "Done when"): intake of a two-member household, a consultation, a
// referral accepted by the agency, a 個別調整 by the agency, a meeting acknowledged and read by the
// agency, minutes and a support plan from them, the planner's yearly table with the new counts
// and its chart, and a planner who opens the case URL and gets nothing of it. Then the privacy
// checks (no storage, no name in any URL, nothing left after sign-out) and axe on every page.
//
// Each step is one test, in order; a step after a failed one is skipped (it would fail for the
// same reason), the privacy and axe checks run whatever happened.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { expect, settle, startRun } from "./harness.mjs";

// The household of the flow: names, kana and phones that appear nowhere else (the privacy checks
// look for them in URLs and in the page after sign-out).
const HOUSEHOLD = {
  problem: "母の介護と長男のひきこもりについて民生委員から相談（ブラウザ試験）",
  district: "北区", // label of the district term "kita" (deploy/demo/vocabularies.csv)
  phone: "03-7654-3210",
  members: [
    { name: "端末 桜子", kana: "タンマツ サクラコ", birth: "1950-04-03", relationship: "母", phone: "090-2718-2818" },
    { name: "端末 健太", kana: "タンマツ ケンタ", birth: "1978-11-22", relationship: "長男", phone: "080-3141-5926" },
  ],
};
const AGENCY_NAME = "架空市北第一地域包括支援センター"; // agencies/kita-houkatsu-1, agency-staff's
const AGENCY_STAFF_NAME = "包括支援センター 佐藤"; // agency-staff's display name (demo users)
const MEETING_TITLE = "端末試験 ケース検討会議";
const PERSONAL = HOUSEHOLD.members.flatMap((m) => [
  m.name, ...m.name.split(" "), m.kana, ...m.kana.split(" "), m.phone, m.phone.replaceAll("-", ""),
]).concat([HOUSEHOLD.phone, HOUSEHOLD.phone.replaceAll("-", "")]);

let run;
const state = {}; // caseId, caseNumber, meetingId, statsBefore, ...
let failedStep;

before(async () => {
  run = await startRun("flow");
});

after(async () => {
  if (!run) return;
  for (const actor of run.actors.values()) {
    const errors = actor.errors.filter((e) => !/^HTTP 401 POST .*\/auth\/session$/.test(e));
    if (errors.length) console.log(`# page errors of ${actor.user}:\n#   ${errors.join("\n#   ")}`);
  }
  console.log(`# screenshots: ${run.screenshots}`);
  await run.close();
});

/** One step of the flow: skipped after a failed step; on failure a screenshot of every context. */
function step(name, body) {
  test(name, async (t) => {
    if (failedStep) {
      t.skip(`after the failure of "${failedStep}"`);
      return;
    }
    try {
      await body(t);
    } catch (error) {
      failedStep = name;
      for (const actor of run?.actors.values() ?? []) {
        await actor.page.screenshot({
          path: `${run.screenshots}/failure-${actor.user}.png`, fullPage: true,
        }).catch(() => {});
      }
      throw error;
    }
  });
}

/** A case as the API gives it to the coordinator (the ground truth the pages are checked against). */
function caseOfApi(id) {
  return JSON.parse(run.server.casectl("coordinator", ["--json", "case", "get", String(id)]));
}

/** The yearly table's activity counts of the current fiscal year, as the API gives them. */
function activitiesOfApi() {
  const year = currentFiscalYear();
  const report = JSON.parse(run.server.casectl("planner",
    ["--json", "stats", "yearly", "--from", String(year), "--to", String(year)]));
  const rows = {};
  for (const row of report.activities?.rows ?? []) {
    rows[row.key] = { label: row.label_ja, published: (row.cells ?? [])[0]?.display };
  }
  return { report, rows };
}

function currentFiscalYear() {
  const now = new Date(Date.now() + 9 * 3600 * 1000); // JST
  return now.getUTCMonth() >= 3 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
}

// ---------------------------------------------------------------------------------------------

step("the planner signs in and reads the yearly table before the flow", async () => {
  const planner = await run.signIn("planner");
  await planner.open("/statistics");
  state.statsBefore = await planner.page.locator("main").innerText();
  state.activitiesBefore = activitiesOfApi().rows;
  await planner.check("statistics-before");
});

step("a coordinator signs in with TOTP and sees the home page", async () => {
  const coordinator = await run.signIn("coordinator");
  expect(await coordinator.page.getByRole("link", { name: "新規受付" }).count() === 1,
    "the coordinator's menu has no 「新規受付」 link");
  await coordinator.check("home");
});

step("the coordinator opens a two-member case through 新規受付", async () => {
  const c = run.actors.get("coordinator");
  const { page } = c;
  await page.getByRole("link", { name: "新規受付" }).click();
  await settle(page);
  await c.check("intake-empty");
  // つなぎ元: agency-staff's own agency referred the household (its options load from the directory).
  await selectOptionByLabel(page, "つなぎ元の機関", AGENCY_NAME);
  await page.getByLabel("相談内容", { exact: true }).fill(HOUSEHOLD.problem);
  await selectOptionByLabel(page, "地区", HOUSEHOLD.district);
  await page.getByLabel("世帯の電話番号").fill(HOUSEHOLD.phone);
  // The household's issue 8050 makes 北第一地域包括 a match of the partner finder.
  await page.getByRole("group", { name: "世帯の課題" }).getByLabel("8050", { exact: false }).first().check();
  await page.getByRole("button", { name: "世帯員を追加" }).click();
  for (const [i, m] of HOUSEHOLD.members.entries()) {
    const p = `世帯員${i + 1} `;
    await page.getByLabel(`${p}氏名`).fill(m.name);
    await page.getByLabel(`${p}フリガナ`).fill(m.kana);
    await page.getByLabel(`${p}生年月日`).fill(m.birth);
    await page.getByLabel(`${p}続柄`).fill(m.relationship);
    await page.getByLabel(`${p}電話番号`).fill(m.phone);
  }
  await c.check("intake-filled");
  await page.getByRole("button", { name: "受付を登録" }).click();
  await page.waitForURL(/#\/cases\/\d+$/, { timeout: 20_000 }).catch(async () => {
    const alerts = await page.getByRole("alert").allInnerTexts();
    throw new Error(`「受付を登録」 did not open a case page (alerts: ${alerts.join(" / ") || "none"})`);
  });
  state.caseId = page.url().match(/#\/cases\/(\d+)$/)[1];
  await settle(page);
  const api = caseOfApi(state.caseId);
  state.caseNumber = api.case_number;
  expect(/^[A-Z]+\d+-\d+$/.test(state.caseNumber ?? ""), `the API gave no case number: ${JSON.stringify(api)}`);
  assert.equal(api.members?.length, 2, "the created case has not two members");
  const text = await page.locator("main").innerText();
  for (const m of HOUSEHOLD.members) {
    expect(text.includes(m.name), `the case page does not show the member 「${m.name}」`);
  }
  expect(text.includes(state.caseNumber), `the case page does not show its 受付番号 ${state.caseNumber}`);
  await c.check("case-opened");
});

step("the coordinator logs a consultation", async () => {
  const c = run.actors.get("coordinator");
  const { page } = c;
  await selectOptionByLabel(page, "記録の種類", "相談");
  const summary = "本人と電話で面談。母の通院の付き添いが負担とのこと。";
  await page.getByLabel("相談内容", { exact: true }).fill(summary);
  await page.getByRole("button", { name: "記録する" }).click();
  await page.getByText(summary).first().waitFor().catch(() => {
    throw new Error("the consultation does not appear on the case page after 「記録する」");
  });
  await settle(page);
  await c.check("case-consultation-logged");
});

step("the coordinator refers the case to agency-staff's agency with the partner finder", async () => {
  const c = run.actors.get("coordinator");
  const { page } = c;
  await page.getByRole("button", { name: "相談機関へ紹介" }).click();
  await settle(page);
  // The result of the agency (a list item, card or table row naming it) has 「この機関に紹介」.
  const result = page.locator("li, tr, article, section, .card").filter({ hasText: AGENCY_NAME })
    .filter({ has: page.getByRole("button", { name: "この機関に紹介" }) }).last();
  await result.waitFor().catch(() => {
    throw new Error(`the partner finder lists no 「${AGENCY_NAME}」 with a 「この機関に紹介」 button`);
  });
  await c.check("referral-finder");
  await result.getByRole("button", { name: "この機関に紹介" }).click();
  await page.getByLabel("紹介の理由").fill("母の介護サービスの利用調整をお願いします。");
  await c.check("referral-form");
  await page.getByRole("button", { name: "紹介する" }).click();
  await settle(page);
  await page.waitForFunction(() => !document.querySelector("dialog[open]"), null).catch(() => {});
  const api = JSON.parse(run.server.casectl("coordinator", ["--json", "case", "referrals", state.caseId]));
  const referrals = api.referrals ?? api;
  expect(Array.isArray(referrals) && referrals.length === 1,
    `after 「紹介する」 the case has ${referrals?.length ?? 0} referrals (expected 1)`);
  await c.open(`/cases/${state.caseId}`);
  await c.check("case-referred");
});

step("agency-staff signs in and accepts the referral from 紹介", async () => {
  const a = await run.signIn("agency-staff");
  const { page } = a;
  await page.getByRole("navigation", { name: "メインメニュー" }).getByRole("link", { name: "紹介" }).click();
  await settle(page);
  expect(page.url().endsWith("#/referrals"), `the 「紹介」 link went to ${page.url()}, not #/referrals`);
  await a.check("referrals");
  const row = page.getByRole("row").filter({ hasText: state.caseNumber });
  await row.getByRole("button", { name: "受け入れる" }).click().catch(() => {
    throw new Error(`the 紹介 inbox has no row of ${state.caseNumber} with 「受け入れる」`);
  });
  await page.getByText("紹介を受け入れました").first().waitFor();
  await a.check("referral-accepted");
});

step("agency-staff opens the case and logs a 個別調整", async () => {
  const a = run.actors.get("agency-staff");
  const { page } = a;
  await a.open(`/cases/${state.caseId}`);
  const text = await page.locator("main").innerText();
  expect(text.includes(HOUSEHOLD.members[0].name), "agency-staff on the team does not see the case");
  await selectOptionByLabel(page, "記録の種類", "個別調整");
  const summary = "包括の社会福祉士が自宅を訪問し、介護保険の申請を支援。";
  await page.getByLabel("相談内容", { exact: true }).fill(summary);
  await page.getByRole("button", { name: "記録する" }).click();
  await page.getByText(summary).first().waitFor().catch(() => {
    throw new Error("the 個別調整 does not appear on the case page after 「記録する」");
  });
  await settle(page);
  await a.check("case-coordination-logged");
});

step("the coordinator schedules a meeting with agency-staff's agency", async () => {
  const c = run.actors.get("coordinator");
  const { page } = c;
  await c.open(`/cases/${state.caseId}`);
  await page.getByRole("link", { name: "会議を設定" }).click();
  await settle(page);
  expect(page.url().includes(`#/cases/${state.caseId}/meetings/new`),
    `「会議を設定」 went to ${page.url()}`);
  // 支援会議 (社会福祉法第106条の6): participants are bound to confidentiality; counted as a case meeting.
  await selectOptionByLabel(page, "会議の種類", "支援会議");
  await page.getByLabel("会議名").fill(MEETING_TITLE);
  await page.getByLabel("日時").fill(todayAt("10:00"));
  // Participants: the form has one row per agency of the case team; agency-staff goes into the row
  // of its agency (user ID field of that row).
  const agencySelects = page.getByLabel(/^参加者\d+の機関$/);
  let row = 0;
  for (let i = 0; i < await agencySelects.count(); i++) {
    const chosen = await agencySelects.nth(i).evaluate((el) => el.selectedOptions[0]?.textContent ?? "");
    if (chosen.includes(AGENCY_NAME)) {
      row = Number((await agencySelects.nth(i).evaluate((el) => el.labels[0].textContent)).match(/\d+/)[0]);
      break;
    }
  }
  expect(row > 0, `the meeting form has no participant row of 「${AGENCY_NAME}」 (the case team)`);
  // The person: chosen by name among the agency's staff (「参加者N の担当者」), or typed as a user ID.
  const person = page.getByLabel(`参加者${row}の担当者`);
  if (await person.count()) await selectOptionByLabel(page, `参加者${row}の担当者`, AGENCY_STAFF_NAME);
  else await page.getByLabel(`参加者${row}のユーザーID`).fill("agency-staff");
  await c.check("meeting-new");
  await page.getByRole("button", { name: "会議を設定" }).click();
  await page.waitForURL(/#\/meetings\/\d+$/).catch(async () => {
    const alerts = await page.getByRole("alert").allInnerTexts();
    throw new Error(`「会議を設定」 did not open the meeting page (alerts: ${alerts.join(" / ") || "none"})`);
  });
  state.meetingId = page.url().match(/#\/meetings\/(\d+)$/)[1];
  await settle(page);
  await c.check("meeting-scheduled");
});

step("agency-staff opens the meeting from 会議, acknowledges confidentiality and reads it", async () => {
  const a = run.actors.get("agency-staff");
  const { page } = a;
  await page.getByRole("navigation", { name: "メインメニュー" }).getByRole("link", { name: "会議" }).click();
  await settle(page);
  await a.check("meetings");
  await page.getByRole("link", { name: new RegExp(MEETING_TITLE) }).first().click().catch(() => {
    throw new Error(`the 会議 list has no link named 「${MEETING_TITLE}」`);
  });
  await settle(page);
  expect(page.url().endsWith(`#/meetings/${state.meetingId}`), `the meeting link went to ${page.url()}`);
  await a.check("meeting-unacknowledged");
  await page.getByRole("button", { name: "確認しました" }).click();
  await settle(page);
  await page.getByRole("button", { name: "確認しました" }).waitFor({ state: "detached" }).catch(() => {
    throw new Error("「確認しました」 is still offered after pressing it");
  });
  const text = await page.locator("main").innerText();
  expect(text.includes(MEETING_TITLE), "the acknowledged meeting does not show its title");
  await a.check("meeting-read");
});

step("the coordinator records the minutes and creates a support plan from them", async () => {
  const c = run.actors.get("coordinator");
  const { page } = c;
  await c.open(`/meetings/${state.meetingId}`);
  const open = page.getByRole("button", { name: "議事録を記録" }).or(page.getByRole("link", { name: "議事録を記録" }));
  if (await open.count()) await open.first().click();
  const minutes = "母の介護保険申請を包括が支援し、長男には就労準備支援を案内する。";
  await page.getByLabel("議事録", { exact: true }).fill(minutes);
  await c.check("minutes-form");
  await page.getByRole("button", { name: "議事録を保存" }).click();
  await page.getByText(minutes).first().waitFor().catch(() => {
    throw new Error("the minutes do not appear after 「議事録を保存」");
  });
  await settle(page);
  await c.check("meeting-minutes");
  await page.getByRole("link", { name: "支援計画を作成" }).or(page.getByRole("button", { name: "支援計画を作成" }))
    .first().click();
  await settle(page);
  await c.check("plan-new");
  await page.getByRole("button", { name: "計画を保存" }).click();
  await settle(page);
  const plan = JSON.parse(run.server.casectl("coordinator", ["--json", "plan", "get", state.caseId]));
  expect(plan && (plan.version ?? plan.versionNumber ?? plan.name),
    "no support plan exists after 「計画を保存」");
  await c.check("plan-saved");
});

step("the planner sees the yearly table with the new counts and its chart", async () => {
  const p = run.actors.get("planner");
  const { page } = p;
  // A fresh load: the table is read when the page opens.
  await page.reload();
  await settle(page);
  const { rows } = activitiesOfApi();
  const text = await page.locator("main").innerText();
  expect(text !== state.statsBefore, "the 事業実績 page shows the same as before the flow");
  for (const key of ["CASE_MEETINGS", "COORDINATION_CONTACTS"]) {
    const row = rows[key];
    expect(row, `the API's yearly table has no ${key} row`);
    const { label, published } = row;
    const before = Number(state.activitiesBefore?.[key]?.published);
    expect(Number(published) === before + 1,
      `the API's ${key} of this fiscal year went from ${before} to ${published}, not up by one`);
    const tableRow = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: label }) }).first();
    const shown = (await tableRow.innerText().catch(() => "")).replace(/\s+/g, " ");
    expect(shown.includes(published), `row 「${label}」 of 事業実績 shows "${shown}", not ${published}`);
  }
  // The chart of the table: an element with role="img" and a name (the chart library's canvas or
  // SVG is hidden behind it).
  const charts = page.locator('[role="img"][aria-label]');
  expect(await charts.count() >= 1, "the 事業実績 page has no chart (an element with role=\"img\" and a label)");
  await charts.first().scrollIntoViewIfNeeded();
  await p.check("statistics-after");
});

step("a planner navigating to the case URL gets nothing of it", async () => {
  const p = run.actors.get("planner");
  const { page } = p;
  await p.open(`/cases/${state.caseId}`);
  await page.getByRole("heading", { level: 1, name: "表示できません" }).waitFor().catch(() => {
    throw new Error("the planner is not shown 「表示できません」 on the case URL");
  });
  const html = await page.content();
  for (const secret of [...PERSONAL, state.caseNumber, HOUSEHOLD.problem]) {
    expect(!html.includes(secret), `the planner's page holds 「${secret}」 of the case`);
  }
  await p.check("case-denied");
});

// ---------------------------------------------------------------------------------------------
// Privacy and accessibility: whatever happened above.

test("privacy: no Web Storage or Cache Storage in any context, no personal data in any URL", async () => {
  assert.ok(run?.actors.size, "no browser context was opened");
  for (const actor of run.actors.values()) {
    const stored = await actor.page.evaluate(async () => ({
      local: localStorage.length, session: sessionStorage.length, caches: (await caches.keys()).length,
    }));
    assert.deepEqual(stored, { local: 0, session: 0, caches: 0 }, `${actor.user}'s browser holds data`);
  }
  const leaks = [];
  for (const { user, url } of run.urls) {
    const decoded = safeDecode(url);
    for (const secret of PERSONAL) {
      if (url.includes(secret) || decoded.includes(secret) || url.includes(encodeURIComponent(secret))) {
        leaks.push(`${user}: ${url} contains 「${secret}」`);
      }
    }
  }
  assert.deepEqual(leaks, [], "URLs with personal data");
  console.log(`# ${new Set(run.urls.map((u) => u.url)).size} distinct URLs checked`);
});

test("privacy: after sign-out the page holds none of the case and a case URL asks to sign in", async (t) => {
  const c = run?.actors.get("coordinator");
  if (!c || !state.caseId) {
    t.skip("the coordinator never opened the case");
    return;
  }
  const { page } = c;
  await c.open(`/cases/${state.caseId}`);
  // Sign-out replaces the document with "/" (dropping everything the console held in memory).
  await Promise.all([
    page.waitForURL((url) => url.pathname === "/" && url.hash === "", { waitUntil: "load" }),
    page.getByRole("button", { name: "サインアウト" }).click(),
  ]);
  await c.waitForApp();
  await page.getByLabel("ユーザーID").waitFor();
  await settle(page);
  const afterSignOut = await page.content();
  for (const secret of [...PERSONAL, state.caseNumber]) {
    assert.ok(!afterSignOut.includes(secret), `after sign-out the page holds 「${secret}」`);
  }
  await c.check("signed-out");
  await c.goto(`/cases/${state.caseId}`);
  await page.getByLabel("ユーザーID").waitFor();
  const fresh = await page.content();
  for (const secret of [...PERSONAL, state.caseNumber]) {
    assert.ok(!fresh.includes(secret), `a case URL after sign-out shows 「${secret}」`);
  }
  await c.check("case-url-signed-out");
  const stored = await page.evaluate(async () => localStorage.length + sessionStorage.length + (await caches.keys()).length);
  assert.equal(stored, 0, "storage after sign-out");
});

test("the console renders on every full load (never a blank page)", () => {
  assert.deepEqual(run?.blankStarts ?? [], [],
    "after these loads #app stayed empty: /auth/session answered before the app subscribed to the " +
    "session (main.tsx calls loadSession() right after render(); App subscribes in a useEffect)");
});

test("axe: no serious or critical violation on any page visited", () => {
  assert.ok(run?.pages.length, "no page was checked");
  console.log(`# axe checked ${run.pages.length} pages`);
  const report = run.axeReport();
  assert.equal(report, "", `axe-core found serious or critical violations:\n${report}`);
});

// ---------------------------------------------------------------------------------------------

/** Chooses the option whose text contains `text` in the select labelled `label`. */
async function selectOptionByLabel(page, label, text) {
  const select = page.getByLabel(label, { exact: true });
  await select.waitFor().catch(() => {
    throw new Error(`no control labelled 「${label}」`);
  });
  // Options may still be loading (the directory, the vocabularies).
  await page.waitForFunction(({ id, text }) => {
    const el = document.getElementById(id);
    return el && [...el.options].some((o) => o.textContent.includes(text));
  }, { id: await select.getAttribute("id"), text }).catch(async () => {
    const options = await select.locator("option").allInnerTexts();
    throw new Error(`「${label}」 has no option 「${text}」 (options: ${options.join(", ")})`);
  });
  // An option whose text is exactly `text` first (支援会議, not 重層的支援会議), else the first containing it.
  const value = await select.evaluate((el, text) => {
    const options = [...el.options];
    return (options.find((o) => o.textContent.trim() === text) ?? options.find((o) => o.textContent.includes(text))).value;
  }, text);
  await select.selectOption(value);
}

/** Today (JST) at hh:mm, as a datetime-local input takes it. */
function todayAt(hhmm) {
  const jst = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  return `${jst}T${hhmm}`;
}

function safeDecode(url) {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}
