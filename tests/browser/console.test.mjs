// The console in a real browser (Debian's Chromium, driven by playwright-core) against the
// real sync server, fed by real field engines (the `gridwalk-field` CLI on two tablets of
// one inspector). A team leader approves, returns (and the tablet sees it), rejects and
// merges; an operator resolves a conflict the two tablets made; a case is dispatched and
// handled and its verification task reaches the tablet; a report whose tablet claims a cell
// the centre does not have is marked 位置存疑. An administrator sets a password, disables and
// enables a person and revokes a tablet from the pages, with effect, and finds the acts in
// the admin log; a team leader is refused the administration in words. A report's seal is
// sound, then broken by a version changed in the database and by a photo changed on disk.
// A work queue opens filtered from its address (overdue first, the 超期 column, a search),
// lists thumbnails the server made, and shows a third tablet's reports as they arrive.
// Screenshots of every page go to docs/screenshots/console-*.png.
//
// Needs the workspace's debug binaries (`cargo test --workspace --no-run` builds them with the
// same features as the test run, so nothing is compiled twice) and `npm run build` in `ui/`
// (scripts/test-all.sh does both). Run from `ui/`: `npm run e2e`. playwright-core comes from
// `ui/node_modules`, where the console's other tooling is.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
const { chromium } = createRequire(join(ROOT, "ui", "package.json"))("playwright-core");
const BIN = join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug");
for (const bin of ["gridwalk-sync", "gridwalk-field"]) {
  if (!existsSync(join(BIN, bin))) {
    throw new Error(`${join(BIN, bin)} is missing: run \`cargo test --workspace --no-run\` first`);
  }
}
const FIXTURES = join(ROOT, "fixtures");
const SHOTS = join(ROOT, "docs", "screenshots");
const CHROMIUM = process.env.GRIDWALK_CHROMIUM ?? "/usr/bin/chromium";
const PASSWORD = "网格长的密码2026";

const dir = mkdtempSync(join(tmpdir(), "gridwalk-console-"));
const centre = join(dir, "centre");

/** The sync server's admin command; stdout trimmed. */
const admin = (args, input) =>
  execFileSync(join(BIN, "gridwalk-sync"), ["--data-dir", centre, "admin", ...args], {
    input,
    encoding: "utf8",
  }).trim();

/** A tablet: the field engine's CLI on its own data directory. */
function tablet(name) {
  const data = join(dir, name);
  const run = (...args) =>
    execFileSync(join(BIN, "gridwalk-field"), ["--data-dir", data, "--fixtures", FIXTURES, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  return {
    run,
    json: (...args) => JSON.parse(run(...args)),
    sync: () => run("sync"),
    /** Every report on the tablet the centre has, by ID. */
    sent: () => new Map(JSON.parse(run("reports", "--state", "sent")).map((r) => [r.id, r])),
  };
}

let server;
let url;
let browser;
const A = tablet("tablet-a");
const B = tablet("tablet-b");
let aIds = [];
let bIds = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  admin(["load-fixtures", FIXTURES]);
  admin(["set-password", "--user", "chenjianguo"], `${PASSWORD}\n`);
  admin(["set-password", "--user", "sunyue"], `${PASSWORD}\n`);
  server = spawn(
    join(BIN, "gridwalk-sync"),
    ["--data-dir", centre, "serve", "--listen", "127.0.0.1:0"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  url = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`the server stopped (${code})`)));
  });
  // Two tablets of the same inspector, each with the demo's reports made offline, then
  // enrolled and synced: B's reports are the same problems in the same places, so each is
  // marked a likely duplicate of A's.
  for (const t of [A, B]) {
    t.run("demo");
    const token = admin(["enroll-device", "--user", "lixiaoming", "--device", t.run("device-id").trim()]);
    t.run("sync", "--server", url, "--token", token);
  }
  aIds = [...A.sent().keys()].sort();
  bIds = [...B.sent().keys()].filter((id) => !aIds.includes(id)).sort();
  assert.equal(aIds.length, 12);
  assert.equal(bIds.length, 12);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(login, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
  const page = await context.newPage();
  await page.goto(`${url}/console/`);
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("header nav");
  return page;
}

/** Opens a report, fresh from the server, and waits for it. */
async function open(page, section, id) {
  await page.goto(`${url}/console/#/${section}/${id}`);
  // Going to the same hash again loads nothing: reload to see what changed meanwhile.
  await page.reload();
  await page.waitForSelector(`article.report[data-report="${id}"] .actions-panel`);
}

const shot = (page, name, options = {}) => page.screenshot({ path: join(SHOTS, `console-${name}.png`), ...options });

test("sign-in refuses a wrong password in words, Chinese first and English on request", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}/console/`);
  await page.fill("input[name=login]", "chenjianguo");
  await page.fill("input[name=password]", "not the password");
  await page.click("button[type=submit]");
  await page.waitForSelector("[role=alert]");
  // The server answers with a code; the console says it from its catalogue.
  assert.equal(await page.textContent("[role=alert]"), "账号或密码不正确");
  await shot(page, "signin");
  await page.click("button:has-text('English')");
  await page.click("button[type=submit]");
  await page.waitForFunction(() => document.querySelector("[role=alert]")?.textContent?.startsWith("the login"));
  assert.equal(await page.textContent("[role=alert]"), "the login or the password is wrong");
  await page.evaluate(() => localStorage.clear());
  await page.close();
});

test("a team leader approves, returns, rejects and merges; the tablet sees the return", async () => {
  const page = await signIn("chenjianguo");
  await page.waitForSelector(`a[data-report="${aIds[0]}"]`);
  assert.equal(await page.locator(".list li").count(), 24);
  // The centre placed every demo report again in its own grid and agrees with the tablets.
  assert.equal(await page.locator(".list .badge.disputed").count(), 0);

  // Approve: a case number.
  await open(page, "review", aIds[0]);
  await page.click("button:has-text('立案')");
  await page.waitForSelector(".case-no");
  const caseNo = (await page.textContent(".case-no")).trim();
  assert.match(caseNo, /^\d{8}-\d{4}$/);
  assert.match(await page.textContent("[role=status]"), /已立案/);

  // Return, with a comment for the inspector.
  const comment = "照片看不清，请补拍井盖编号";
  await open(page, "review", aIds[1]);
  await page.click("button:has-text('退回补充')");
  await page.fill("textarea[name=comment]", comment);
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${aIds[1]}"] .badge.state-returned`);

  // Reject, with a reason.
  await open(page, "review", aIds[2]);
  await page.click("button:has-text('不予立案')");
  await page.fill("textarea[name=reason]", "非城管职责范围，已告知属地");
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${aIds[2]}"] .badge.state-rejected`);

  // Merge B's duplicate of the approved case into it: the suggestion is offered.
  const dup = bIds[0];
  await open(page, "review", dup);
  assert.match(await page.textContent(".notice"), /疑似重复/);
  await page.click("button:has-text('合并到…')");
  await page.selectOption("select[name=into]", aIds[0]);
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${dup}"] .badge.state-merged`);

  // The review page with a report chosen, for the README.
  await open(page, "review", aIds[3]);
  await shot(page, "review");
  // The audit trail of the returned report.
  await open(page, "review", aIds[1]);
  await page.click(".audit-trail summary");
  await page.waitForSelector(".audit table");
  await shot(page, "audit");

  // The tablet learns of the return and the rejection on its next sync.
  A.sync();
  const onA = A.sent();
  assert.equal(onA.get(aIds[1]).central_state, "returned");
  // The leader's words reach the tablet as they were written (a message of their own).
  assert.deepEqual(onA.get(aIds[1]).centre_note, { code: "verbatim", params: { text: comment } });
  assert.equal(onA.get(aIds[2]).central_state, "rejected");
  assert.equal(onA.get(aIds[0]).central_state, "registered");

  // The device board: both tablets, nothing left on them.
  await page.goto(`${url}/console/#/devices`);
  await page.waitForSelector("table.devices tbody tr");
  assert.equal(await page.locator("table.devices tbody tr").count(), 2);
  assert.match(await page.textContent("table.devices tbody"), /李晓明/);
  // Teams by their leaders' name, on the board and beside the leader's own name.
  assert.deepEqual(await page.locator("table.devices tbody tr td:nth-child(2)").allTextContents(), ["陈建国组", "陈建国组"]);
  assert.match(await page.textContent("header .who"), /陈建国 · 网格长 · 陈建国组/);
  await shot(page, "devices");

  // The same page on a tablet held upright.
  const tabletPage = await signIn("chenjianguo", { width: 800, height: 1280 });
  await open(tabletPage, "review", aIds[4]);
  await shot(tabletPage, "review-tablet");
  await tabletPage.context().close();
  await page.context().close();
});

test("a case goes round the loop: dispatched, handled, verification fails (返工), handled, passes (结案)", async () => {
  const page = await signIn("chenjianguo");
  await open(page, "cases", aIds[0]);
  await page.click("button:has-text('派遣')");
  await page.selectOption("article.report select[name=department]", "HW");
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${aIds[0]}"] .badge.state-dispatched`);
  assert.match(await page.textContent(".facts"), /环境卫生管理处/);
  await shot(page, "cases");
  await page.click("button:has-text('处置完成')");
  await page.fill("article.report textarea[name=note]", "已清运垃圾");
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${aIds[0]}"] .badge.state-handled`);
  A.sync();
  let tasks = A.json("tasks");
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].task.report, aIds[0]);
  assert.equal(tasks[0].department, "HW");

  // The inspector goes back: not fixed. The case returns to the department (返工).
  const photo = join(FIXTURES, "photos", "orient-3.jpg");
  A.run("complete-task", tasks[0].task.id, "--fail", "--note", "垃圾仍未清运", "--photo", photo);
  A.sync();
  await open(page, "cases", aIds[0]);
  await page.waitForSelector(`article.report[data-report="${aIds[0]}"] .badge.state-dispatched`);
  assert.match(await page.textContent(".facts"), /返工次数\s*1/);
  await page.click(".audit-trail summary");
  assert.match(await page.textContent(".audit"), /核查不通过，返工/);
  assert.match(await page.textContent(".audit"), /垃圾仍未清运/);
  // The after-photo arrived and shows with the task.
  await page.waitForFunction(() => {
    const img = document.querySelector(".audit .photos img");
    return img && img.complete && img.naturalWidth > 0;
  });

  // Handled again; this time the verification passes and the case closes (结案).
  await page.click("button:has-text('处置完成')");
  await page.fill("article.report textarea[name=note]", "已清运垃圾");
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${aIds[0]}"] .badge.state-handled`);
  A.sync();
  tasks = A.json("tasks");
  assert.equal(tasks.length, 1);
  A.run("complete-task", tasks[0].task.id, "--pass", "--note", "已清理干净", "--photo", photo);
  A.sync();
  await open(page, "cases", aIds[0]);
  await page.waitForSelector(`article.report[data-report="${aIds[0]}"] .badge.state-closed`);
  await page.click(".audit-trail summary");
  assert.match(await page.textContent(".audit"), /核查通过，结案/);
  await shot(page, "case-closed");
  // Before and after side by side, at a size to judge by: the report's photos beside the two
  // verifications' photos, each saying which verification and how it went.
  const evidence = page.locator("[data-evidence]");
  assert.match(await evidence.locator("figcaption").first().textContent(), /处置前/);
  assert.equal(await evidence.locator("figure.after img").count(), 2);
  assert.match(await evidence.locator("figure.after").textContent(), /核查 · 核查不通过[\s\S]*核查 · 核查通过|核查 · 核查通过[\s\S]*核查 · 核查不通过/);
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-evidence] img")].every((i) => i.complete && i.naturalWidth > 0),
  );
  const shown = await evidence.locator("figure.after img").first().boundingBox();
  assert.ok(shown.width >= 250, `after-photo shown ${shown.width}px wide`);
  await evidence.scrollIntoViewIfNeeded();
  await shot(page, "evidence");
  // The case sheet: printed, the report alone with its whole audit trail, no console around it.
  // (The 打印案卷 button opens the audit trail and calls window.print(); headless Chromium
  // has no printer, so the trail is opened above and the print stylesheet applied here.)
  assert.equal(await page.locator("button.print").textContent(), "打印案卷");
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header nav").isVisible(), false);
  assert.equal(await page.locator(".actions-panel").isVisible(), false);
  assert.equal(await page.locator(".audit").isVisible(), true);
  await shot(page, "case-sheet", { fullPage: true });
  await page.emulateMedia({ media: "screen" });
  assert.equal(A.sent().get(aIds[0]).central_state, "closed");
  await page.context().close();
});

test("an operator resolves a conflict two tablets made, and both get the result", async () => {
  const id = aIds[5];
  A.run("edit", id, "--description", "A：井盖缺失，已放置警示锥");
  B.run("edit", id, "--description", "B：井盖破损，未见警示");
  A.sync();
  B.sync();
  const page = await signIn("sunyue");
  await page.goto(`${url}/console/#/conflicts`);
  await page.waitForSelector("article.conflict");
  const text = await page.textContent("table.sides");
  assert.match(text, /A：井盖缺失/);
  assert.match(text, /B：井盖破损/);
  // The list and the conflict name the report and the device for people, not by IDs.
  const listed = await page.textContent("ul.list li.selected");
  assert.match(listed, /^问题描述 · /);
  assert.ok(!listed.includes(id.slice(-12)), `the list names the report, not its ID: ${listed}`);
  const about = await page.textContent("article.conflict > p");
  assert.match(about, /李晓明的( \S|终端（…[0-9a-f]{4}）)/, `the device by its owner and model: ${about}`);
  assert.ok(!about.includes(id.slice(-12)), about);
  await shot(page, "conflicts");
  const resolved = "井盖缺失且破损，已放置警示锥（核对两台终端）";
  await page.fill("input[name=typed-description]", resolved);
  await page.click("button:has-text('确认处理')");
  await page.waitForSelector("[role=status], [role=alert]");
  assert.equal(await page.locator("[role=alert]").count(), 0, await page.locator("[role=alert]").first().textContent().catch(() => ""));
  A.sync();
  B.sync();
  assert.equal(A.sent().get(id).description, resolved);
  assert.equal(B.sent().get(id).description, resolved);

  // Intake health and the evaluation, which an operator sees for every team.
  await page.goto(`${url}/console/#/health`);
  await page.waitForSelector(".tiles .tile");
  await shot(page, "health");
  await page.goto(`${url}/console/#/evaluation`);
  await page.waitForSelector(".evaluation table");
  // November onwards: the demo's photos were taken in early November.
  await page.fill("input[name=from]", "2026-11-01");
  const to = await page.inputValue("input[name=to]");
  await page.click("button:has-text('统计')");
  await page.waitForFunction(() => document.querySelector(".evaluation table td")?.textContent === "李晓明");
  const table = await page.textContent(".evaluation table");
  assert.match(table, /李晓明/);
  // Every indicator has its column, every rate names its parts.
  const headers = await page.locator(".evaluation thead th").allTextContents();
  for (const h of ["上报数", "立案数", "有效上报率", "处置率", "按期处置率", "超期待处置率", "结案率", "按期结案率", "返工率", "按期核查率", "自处理数", "自处理率", "延期数", "核实超期", "受理超期", "派遣超期", "处置超期", "核查超期"]) {
    assert.ok(headers.includes(h), `no column ${h}: ${headers}`);
  }
  // 有效上报率 over decided reports only: one approved, one rejected, one merged (B's
  // duplicate); the returned report and those still waiting count in neither.
  const valid = page.locator(".evaluation tbody tr").first().locator("td").nth(3);
  assert.equal(await valid.textContent(), "33.3%");
  assert.equal(await valid.getAttribute("title"), "1 / 3");
  // The chart has its legend.
  assert.deepEqual(await page.locator(".evaluation .legend li").allTextContents(), ["有效上报率", "按期处置率", "结案率"]);
  assert.equal(await page.locator(".evaluation svg.chart g rect.closed").count() > 0, true);
  // Every grouping is offered, department, category and source among them.
  assert.deepEqual(await page.locator("select[name=by] option").evaluateAll((os) => os.map((o) => o.value)), [
    "cell", "community", "street", "team", "inspector", "department", "category", "source",
  ]);
  await shot(page, "evaluation");
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.getAttribute("a:has-text('导出 CSV')", "href"));
  assert.match(csv.split("\r\n")[1], /^李晓明,/);
  // The exports are named by the grouping and the days chosen.
  const download = async (link) => {
    const [file] = await Promise.all([page.waitForEvent("download"), page.click(`a:has-text('${link}')`)]);
    return file.suggestedFilename();
  };
  assert.equal(await download("导出 CSV"), `evaluation-inspectors-2026-11-01_${to}.csv`);
  assert.equal(await page.locator("a:has-text('导出 GeoJSON')").count(), 0, "inspectors have no outline");
  // By cell: the report outside the grid is a group of its own, named, not blank.
  await page.selectOption("select[name=by]", "cell");
  await page.waitForFunction(() => document.querySelector(".evaluation thead th")?.textContent === "按网格");
  const cells = await page.locator(".evaluation tbody tr:not(.total) td:first-child").allTextContents();
  assert.ok(cells.includes("网格外"), `${cells}`);
  assert.ok(cells.every((c) => c !== ""), `a blank label: ${cells}`);
  assert.ok(cells.some((c) => /^环市街道 · 东华社区 · 4407030010010\d\d$/.test(c)), `${cells}`);
  assert.equal(await download("导出 CSV"), `evaluation-cells-2026-11-01_${to}.csv`);
  assert.equal(await download("导出 GeoJSON"), `evaluation-cells-2026-11-01_${to}.geojson`);
  await page.selectOption("select[name=by]", "community");
  await page.waitForFunction(() => document.querySelector(".evaluation thead th")?.textContent === "按社区");
  assert.equal(await download("导出 GeoJSON"), `evaluation-communities-2026-11-01_${to}.geojson`);
  // By department: the case's department by name, the rest not dispatched.
  await page.selectOption("select[name=by]", "department");
  await page.waitForFunction(() => document.querySelector(".evaluation thead th")?.textContent === "按处置部门");
  const departments = await page.locator(".evaluation tbody tr:not(.total) td:first-child").allTextContents();
  assert.deepEqual(departments, ["环境卫生管理处", "未派遣"]);
  assert.equal(await download("导出 CSV"), `evaluation-departments-2026-11-01_${to}.csv`);
  // By category (高发问题): the names of the code table.
  await page.selectOption("select[name=by]", "category");
  await page.waitForFunction(() => document.querySelector(".evaluation thead th")?.textContent === "按问题类别");
  assert.match(await page.textContent(".evaluation tbody"), /事件 · 市容环境 · /);
  assert.equal(await download("导出 CSV"), `evaluation-categories-2026-11-01_${to}.csv`);

  // English is a click away.
  await page.click("button:has-text('English')");
  await page.waitForSelector("header nav a:has-text('Evaluation')");
  assert.equal(await page.textContent(".evaluation thead th"), "Category");
  await page.selectOption("select[name=by]", "street");
  await page.waitForFunction(() => document.querySelector(".evaluation thead th")?.textContent === "Street");
  assert.ok((await page.locator(".evaluation tbody tr:not(.total) td:first-child").allTextContents()).includes("Outside the grid"));
  assert.deepEqual(await page.locator(".evaluation .legend li").allTextContents(), ["Valid rate", "Handled on time", "Closed rate"]);
  await page.context().close();
});

/** A UUIDv7 (IDs are born on the device). */
function uuid7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The bytes a device signs for a mutation (crates/protocol/src/signing.rs): a prefix, then
 * the mutation without its signature as JSON with sorted members and no whitespace. Only
 * right for values written as the centre writes them (floats with a fraction, times as
 * above), which the one test using it takes care of. */
function signedForm(mutation) {
  const canonical = (v) => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (v !== null && typeof v === "object") {
      const names = Object.keys(v).sort();
      return `{${names.map((n) => `${JSON.stringify(n)}:${canonical(v[n])}`).join(",")}}`;
    }
    return JSON.stringify(v);
  };
  const { signature: _, ...unsigned } = mutation;
  return Buffer.from(`gridwalk-mutation/v1\n${canonical(unsigned)}`, "utf8");
}

/** Pushes one report (the fixture event at 建设路12号, changed by `fields`) as lixiaoming
 * from a new tablet, signed as a tablet signs it, over plain HTTP; the report. */
async function pushReport(fields) {
  const device = uuid7();
  const token = admin(["enroll-device", "--user", "lixiaoming", "--device", device]);
  const users = JSON.parse(readFileSync(join(FIXTURES, "users.json"), "utf8"));
  // Whole seconds in UTC: the centre checks the signature over the times as it writes them
  // (no fraction when there is none, "Z" for UTC).
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const seen = new Date(Date.parse(now) - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const report = {
    id: uuid7(),
    kind: "event",
    category: "0507",
    code_table_version: "CJT214-2024.1",
    component_id: null,
    description: "路边堆放建筑垃圾",
    address: "建设路12号",
    location: { lon: 113.0631, lat: 22.5983, crs: "WGS84", accuracy_m: 5.5, fix_time: seen, provider: "gps" },
    cell: null,
    location_flags: [],
    urgency: "normal",
    observed_at: seen,
    reporter: users.find((u) => u.login === "lixiaoming").id,
    device,
    photos: [],
    clips: [],
    handled_on_spot: false,
    ...fields,
  };
  // In the order the centre signs it (the wire type's field order).
  const l = report.location;
  report.location = { lon: l.lon, lat: l.lat, crs: l.crs, accuracy_m: l.accuracy_m, fix_time: seen, provider: l.provider };
  const mutation = { id: 1, device, created_at: now, body: { op: "submit_report", report } };
  const key = generateKeyPairSync("ed25519");
  mutation.signature = sign(null, signedForm(mutation), key.privateKey).toString("base64");
  const push = {
    device,
    app_version: "browser-test",
    queue: { reports: 0, photos: 0, bytes: 0 },
    mutations: [mutation],
    public_key: Buffer.from(key.publicKey.export({ format: "jwk" }).x, "base64url").toString("base64"),
  };
  const resp = await fetch(`${url}/v1/push`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(push),
  });
  assert.equal(resp.status, 200, await resp.clone().text());
  assert.equal((await resp.json()).results[0].outcome, "applied");
  return report;
}

test("a report whose tablet claims a cell the centre does not have is marked for the leader", async () => {
  // A tablet that sends what the app never would: a made-up cell for a position in 江门.
  const report = await pushReport({ cell: "999999999999999" });

  const page = await signIn("chenjianguo");
  await page.waitForSelector(`a[data-report="${report.id}"] .badge.disputed`);
  await open(page, "review", report.id);
  // The cell by its names (street · community · number), its code on hover.
  const cell = page.locator(`article.report[data-report="${report.id}"] dd.cell`);
  assert.equal((await cell.textContent()).trim(), "环市街道 · 东华社区 · 003号网格");
  assert.equal(await cell.getAttribute("title"), "440703001001003");
  const notice = await page.textContent(`article.report[data-report="${report.id}"] .notice.disputed`);
  assert.match(notice, /位置存疑/);
  assert.match(notice, /999999999999999/);
  assert.match(notice, /该网格在中心网格数据中不存在/);
  await shot(page, "place-disputed");
  await page.context().close();
});

// What each role is called in the console (ui/src/console/i18n/zh.ts).
const ROLE_ZH = {
  inspector: "网格员",
  leader: "网格长",
  operator: "监督指挥中心",
  department: "处置部门",
  administrator: "系统管理员",
  service: "外部接入系统",
};

/** A sign-in that is expected to be refused: the words the form shows. */
async function refusedSignIn(login, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(`${url}/console/`);
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("[role=alert], header nav");
  assert.equal(await page.locator("header nav").count(), 0, `${login} was let in`);
  const words = await page.textContent("[role=alert]");
  await context.close();
  return words;
}

/** GET `path` with the page's session cookie, from the server (photos are cached as
 * immutable): status and body. */
const fetchFrom = (page, path) =>
  page.evaluate(async (p) => {
    const r = await fetch(p, { cache: "no-store" });
    return { status: r.status, body: await r.text() };
  }, path);

/** GET /v1/me with a device token: the status. */
const deviceMe = async (token) => (await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;

test("an administrator sees everyone, sets a password, disables and enables a person, revokes a tablet, and the acts are logged", async () => {
  admin(["set-password", "--user", "guanliyuan"], `${PASSWORD}\n`);
  const users = JSON.parse(readFileSync(join(FIXTURES, "users.json"), "utf8"));
  // A tablet of 王芳's, enrolled from the command line: its token works.
  const device = uuid7();
  const token = admin(["enroll-device", "--user", "wangfang", "--device", device]);
  assert.equal(await deviceMe(token), 200);

  const page = await signIn("guanliyuan");
  // An administrator's sections, and only those.
  assert.deepEqual(await page.locator("header nav a").allTextContents(), ["人员管理", "终端管理", "数据导入", "管理日志"]);

  // 人员: every fixture person, with their role and team or department, all active: a team
  // by its leader's name, a department by its name (the operator's centre code is no team).
  const departments = JSON.parse(readFileSync(join(FIXTURES, "case-rules.json"), "utf8")).departments;
  const leaders = Object.fromEntries(users.filter((u) => u.role === "leader").map((u) => [u.team, `${u.name}组`]));
  const home = (u) => (u.team ? (leaders[u.team] ?? u.team) : (departments.find((d) => d.code === u.department)?.name ?? ""));
  assert.equal(home(users.find((u) => u.login === "liangqing")), "市政设施维护中心");
  await page.waitForSelector("table.people tbody tr");
  assert.equal(await page.locator("table.people tbody tr").count(), users.length);
  for (const u of users) {
    const cells = await page.locator(`table.people tr[data-login="${u.login}"] td`).allTextContents();
    assert.deepEqual(cells.slice(0, 5), [u.login, u.name, ROLE_ZH[u.role], home(u), "正常"], u.login);
  }
  // No one may disable themselves: the administrator's own row has no such button.
  assert.equal(await page.locator(`tr[data-login="guanliyuan"] button:has-text('停用')`).count(), 0);

  // A console password for 林志远 (a team leader), set from the page; he signs in with it.
  const row = page.locator(`table.people tr[data-login="linzhiyuan"]`);
  await row.locator("button:has-text('设置密码')").click();
  assert.match(await page.textContent("form.ask"), /linzhiyuan 的新密码/);
  await page.fill("input[name=new-password]", PASSWORD);
  await page.click("form.ask button:has-text('确定')");
  await page.waitForSelector("form.ask", { state: "detached" });
  assert.equal(await page.locator("[role=alert]").count(), 0);
  const his = await signIn("linzhiyuan");
  assert.equal((await fetchFrom(his, "/v1/console/me")).status, 200);

  // Disabled from the page: the page says so, his open session ends, he cannot sign in.
  await row.locator("button:has-text('停用')").click();
  await row.locator("button:has-text('启用')").waitFor();
  assert.match(await row.locator("td").nth(4).textContent(), /^已停用（.+）$/);
  assert.equal(await row.getAttribute("class"), "waiting");
  assert.equal((await fetchFrom(his, "/v1/console/me")).status, 401);
  await his.context().close();
  assert.equal(await refusedSignIn("linzhiyuan", PASSWORD), "账号或密码不正确");
  // Another person's standing is untouched.
  assert.equal(await page.locator(`tr[data-login="chenjianguo"] td`).nth(4).textContent(), "正常");
  await shot(page, "people", { fullPage: true });

  // Enabled again: he signs in anew.
  await row.locator("button:has-text('启用')").click();
  await row.locator("button:has-text('停用')").waitFor();
  assert.equal(await row.locator("td").nth(4).textContent(), "正常");
  const again = await signIn("linzhiyuan");
  await again.context().close();

  // 终端: the tablets, the new one among them; revoked from the page (after saying whose).
  await page.goto(`${url}/console/#/tablets`);
  const tablet = page.locator(`table.tablets tr[data-device="${device}"]`);
  await tablet.waitFor();
  for (const id of [A.run("device-id").trim(), B.run("device-id").trim()]) {
    assert.equal(await page.locator(`table.tablets tr[data-device="${id}"] td`).nth(1).textContent(), "lixiaoming");
  }
  const cells = await tablet.locator("td").allTextContents();
  // A tablet that never pushed has not said its model yet: named by its ID alone.
  assert.deepEqual([cells[0], cells[1], cells[3], cells[4]], [`型号未知 ${device}`, "wangfang", "从未同步", "正常"]);
  let asked = null;
  page.once("dialog", (d) => {
    asked = d.message();
    void d.accept();
  });
  await tablet.locator("button:has-text('吊销')").click();
  await tablet.locator("button").waitFor({ state: "detached" });
  assert.equal(asked, "吊销 wangfang 的这台终端？其令牌将立即失效。");
  assert.match(await tablet.locator("td").nth(4).textContent(), /^已吊销（.+）$/);
  assert.equal(await deviceMe(token), 401);
  // The inspector's other tablets still work.
  assert.equal(await page.locator(`table.tablets tr[data-device="${A.run("device-id").trim()}"] td`).nth(4).textContent(), "正常");
  await shot(page, "tablets");

  // 管理日志, newest first: the four acts done on the page, by the administrator, after the
  // two done from the command line.
  await page.goto(`${url}/console/#/audit`);
  await page.waitForSelector("table.admin-acts tbody tr");
  const acts = [];
  for (const tr of await page.locator("table.admin-acts tbody tr").all()) {
    const [, actor, action, subject] = await tr.locator("td").allTextContents();
    acts.push([actor, action, subject]);
  }
  assert.deepEqual(acts.slice(0, 6), [
    ["guanliyuan", "吊销终端", device],
    ["guanliyuan", "启用人员", "linzhiyuan"],
    ["guanliyuan", "停用人员", "linzhiyuan"],
    ["guanliyuan", "设置密码", "linzhiyuan"],
    ["cli", "注册终端", device],
    ["cli", "设置密码", "guanliyuan"],
  ]);
  await shot(page, "admin-log");
  await page.context().close();
});

test("a team leader has no administration: no links, a refusal in words at its addresses, and the server refuses", async () => {
  const page = await signIn("chenjianguo");
  const nav = await page.locator("header nav a").allTextContents();
  for (const name of ["人员管理", "终端管理", "数据导入", "管理日志"]) assert.ok(!nav.includes(name), nav.join(" "));
  for (const [section, name] of [["people", "人员管理"], ["tablets", "终端管理"], ["import", "数据导入"], ["audit", "管理日志"]]) {
    await page.goto(`${url}/console/#/${section}`);
    await page.reload();
    await page.waitForSelector("#not-allowed");
    assert.equal(await page.textContent("#not-allowed"), `你的账号（网格长）无权查看「${name}」：该页面不在你的工作范围内`);
    // Nothing of the section, and no other page in its place.
    assert.equal(await page.locator("main table, main article, main .list").count(), 0);
    assert.doesNotMatch(await page.textContent("main"), /guanliyuan|liangqing|wangfang/);
  }
  for (const path of ["/v1/console/admin/users", "/v1/console/admin/devices", "/v1/console/admin/audit"]) {
    const { status, body } = await fetchFrom(page, path);
    assert.equal(status, 403, path);
    const refusal = JSON.parse(body);
    assert.equal(refusal.error, "forbidden");
    assert.match(refusal.message, /^a team leader may not /);
    // The refusal's code and values, for any client to say in its own language.
    assert.equal(refusal.code, "access.role_may_not");
    assert.deepEqual(refusal.params, { role: "leader", act: "administer" });
  }
  // Nor may a leader import: the file is refused before it is read.
  const posted = await page.evaluate(async () => {
    const r = await fetch("/v1/console/admin/import?what=people&name=people.csv", { method: "POST", body: "login,name,role" });
    return r.status;
  });
  assert.equal(posted, 403);
  await page.context().close();
});

test("a report's seal: sound, then a version changed in the database, then a photo changed on disk", async () => {
  // Two reports nobody has touched in the tests before, each with a photo.
  const onA = A.sent();
  const [changed, photographed] = aIds.slice(6).filter((id) => onA.get(id).photos.length > 0);
  assert.ok(changed && photographed, "the demo has reports with photos");
  const page = await signIn("chenjianguo");
  const seal = (id) => page.locator(`article.report[data-report="${id}"] .seal`);

  // Sound: it says what it checked: one version; one step, the centre's own when the last
  // photo arrived (to 待审核); every photo re-hashed.
  for (const id of [changed, photographed]) {
    await open(page, "review", id);
    assert.equal(await seal(id).getAttribute("data-seal"), "verified");
    assert.equal(
      await seal(id).textContent(),
      `✔ 记录完好：1 个版本、1 步办理过程均在哈希链上，${onA.get(id).photos.length} 张照片与其 SHA-256 一致`,
    );
    assert.match(await seal(id).getAttribute("title"), /^[0-9a-f]{64}$/);
  }

  // Someone with access to the database rewrites the description of the first version.
  const db = join(centre, "cases.db");
  const rows = execFileSync(
    "python3",
    [
      "-c",
      `import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
n = c.execute("UPDATE report_versions SET record = json_set(record, '$.description', ?) WHERE report_id = ? AND version = 1", (sys.argv[3], sys.argv[2])).rowcount
c.commit()
print(n)`,
      db,
      changed,
      "无问题，已核实",
    ],
    { encoding: "utf8" },
  ).trim();
  assert.equal(rows, "1");
  await open(page, "review", changed);
  assert.equal(await seal(changed).getAttribute("data-seal"), "broken");
  assert.equal(await seal(changed).getAttribute("role"), "alert");
  assert.equal(
    await seal(changed).textContent(),
    "✘ 记录已被改动：report_versions: version 1: its content no longer matches its hash (it was changed after it was written)",
  );
  // The other report is not tarred with it.
  await open(page, "review", photographed);
  assert.equal(await seal(photographed).getAttribute("data-seal"), "verified");

  // Someone overwrites a photo's file in the blob store: the seal names the photo and what
  // its bytes hash to now, and the bytes are not served as that photo.
  const sha = onA.get(photographed).photos[0].sha256;
  const bogus = Buffer.from("<html>not the photo</html>");
  writeFileSync(join(centre, "blobs", "photos", sha.slice(0, 2), `${sha}.jpg`), bogus);
  await open(page, "review", photographed);
  assert.equal(await seal(photographed).getAttribute("data-seal"), "broken");
  assert.equal(
    await seal(photographed).textContent(),
    `✘ 记录已被改动：photo_blobs: photo ${sha}: the stored bytes hash to ${createHash("sha256").update(bogus).digest("hex")}`,
  );
  assert.equal((await fetchFrom(page, `/v1/console/photos/${sha}`)).status, 500);
  await shot(page, "seal-broken");
  await page.context().close();
});

test("a work queue: the filter in the address, search, order, the 超期 column, live arrivals from a tablet, thumbnails", async () => {
  const page = await signIn("chenjianguo");
  const act = (id, body) =>
    page.evaluate(
      async ([p, b]) => {
        const r = await fetch(p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
        return r.status;
      },
      [`/v1/console/reports/${id}/actions`, body],
    );
  const rows = page.locator(".list.queue li");
  const ids = () => page.$$eval(".list.queue li a", (as) => as.map((a) => a.getAttribute("data-report")));
  /** Opens an address afresh (a reload, as someone opening a shared link) and waits for the
   * list: its rows, or the list's own "nothing here" (not the right side's "pick a report",
   * which stands there before the list has loaded). */
  const visit = async (hash) => {
    await page.goto(`${url}/console/${hash}`);
    await page.reload();
    await page.waitForSelector(".list.queue li a, .queue-page .left .empty");
  };

  // A case dispatched to 市政 whose deadline has passed (moved back in the database: a
  // deadline in working time is days ahead).
  const late = aIds[4];
  assert.equal(await act(late, { action: "approve", seen_state: "pending_review" }), 200);
  assert.equal(await act(late, { action: "dispatch", department: "SZ", seen_state: "registered" }), 200);
  execFileSync("python3", [
    "-c",
    `import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.execute("UPDATE cases SET due_at = '2020-01-02 08:00:00+00:00' WHERE report_id = ?", (sys.argv[2],))
c.execute("UPDATE reports SET step_due_at = '2020-01-02 08:00:00+00:00' WHERE id = ?", (sys.argv[2],))
c.commit()`,
    join(centre, "cases.db"),
    late,
  ]);

  // Overdue first, from the address: the late case on top, its deadline, department and 超期.
  await visit("#/cases?state=dispatched&sort=overdue");
  assert.equal((await ids())[0], late);
  assert.equal(await page.inputValue("select[name=sort]"), "overdue");
  assert.equal(await page.inputValue("select[name=state]"), "dispatched");
  assert.match(await page.textContent(".queue-head"), /本环节时限.*处置部门.*超期/);
  const top = rows.first();
  assert.equal((await top.locator(".due").textContent()).trim(), "已超期");
  assert.match(await top.locator(".dept").textContent(), /市政设施维护中心/);
  assert.match(await top.locator(".deadline").textContent(), /2020/);
  await shot(page, "queue-overdue");
  // The overdue filter alone: that case and no other.
  await visit("#/cases?due=overdue");
  assert.deepEqual(await ids(), [late]);
  assert.equal(await page.textContent(".queue-total"), "共 1 条");

  // Search from the address, then from the box (which puts it in the address).
  await visit(`#/review?q=${encodeURIComponent("井盖")}`);
  assert.equal(await page.inputValue("input[name=q]"), "井盖");
  assert.ok((await rows.count()) > 0);
  for (const d of await page.$$eval(".list.queue .desc", (ds) => ds.map((x) => x.textContent))) assert.match(d, /井盖/);
  await page.fill("input[name=q]", "积水");
  await page.click("button:has-text('搜索')");
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes("q=积水"));
  await page.waitForFunction(() => {
    const ds = [...document.querySelectorAll(".list.queue .desc")].map((x) => x.textContent);
    return ds.length > 0 && ds.every((d) => d.includes("积水"));
  });

  // Urgent first: every urgent report above every other.
  await visit("#/review?sort=urgent");
  const urgent = await page.$$eval(".list.queue li", (lis) => lis.map((li) => Boolean(li.querySelector(".badge.urgent"))));
  assert.ok(urgent.includes(true) && urgent.includes(false), `the demo has both: ${JSON.stringify(urgent)} at ${await page.evaluate(() => location.hash)}`);
  assert.equal(urgent.lastIndexOf(true), urgent.indexOf(false) - 1);

  // Thumbnails, not the photos: small JPEGs the server made.
  const srcs = await page.$$eval(".list.queue img", (imgs) => imgs.map((i) => i.getAttribute("src")));
  assert.ok(srcs.length > 0);
  for (const src of srcs) assert.match(src, /^\/v1\/console\/photos\/[0-9a-f]{64}\/thumb$/);
  await page.waitForFunction(() => [...document.querySelectorAll(".list.queue img")].every((i) => i.complete && i.naturalWidth > 0));
  const sizes = await page.$$eval(".list.queue img", (imgs) => imgs.map((i) => Math.max(i.naturalWidth, i.naturalHeight)));
  for (const s of sizes) assert.ok(s <= 240, `a thumbnail of ${s} px`);
  // (One photo's file was overwritten by the seal test: compare with one served whole.)
  const pairs = await page.evaluate(async (all) => {
    const get = async (p) => {
      const r = await fetch(p);
      return { status: r.status, bytes: (await r.arrayBuffer()).byteLength, type: r.headers.get("content-type") };
    };
    return Promise.all(all.map(async (src) => [await get(src), await get(src.replace(/\/thumb$/, ""))]));
  }, srcs);
  const whole = pairs.filter(([, photo]) => photo.status === 200);
  assert.ok(whole.length > 0);
  for (const [thumb, photo] of whole) {
    assert.equal(thumb.type, "image/jpeg");
    assert.ok(thumb.bytes * 3 < photo.bytes, `thumbnail ${thumb.bytes} bytes, photo ${photo.bytes}`);
  }

  // Live: a third tablet of the team reports while the queue is open; its reports appear in
  // place, marked new, with no reload of the page.
  await visit("#/review?state=pending_review&sort=newest");
  const before = await rows.count();
  const totalBefore = Number(/共 (\d+) 条/.exec(await page.textContent(".queue-total"))[1]);
  await page.evaluate(() => {
    window.stillHere = true;
  });
  const C = tablet("tablet-c");
  C.run("demo");
  const arrived = JSON.parse(C.run("reports", "--state", "queued")).map((r) => r.id);
  assert.equal(arrived.length, 12);
  const token = admin(["enroll-device", "--user", "lixiaoming", "--device", C.run("device-id").trim()]);
  C.run("sync", "--server", url, "--token", token);
  await page.waitForSelector(`.list.queue li.fresh a[data-report="${arrived[0]}"]`, { timeout: 30_000 });
  // Newest first, so all twelve come in at the top (the list reads again as many as it
  // showed, at least a page: the oldest may move past the page's end, behind 加载更多).
  await page.waitForFunction(
    (ids) => ids.every((id) => document.querySelector(`.list.queue li.fresh a[data-report="${id}"]`)),
    arrived,
    { timeout: 30_000 },
  );
  assert.equal(await page.evaluate(() => window.stillHere), true, "the page was not reloaded");
  assert.ok((await rows.count()) >= Math.min(before + 12, 50), `${await rows.count()} rows shown`);
  await page.waitForFunction((n) => document.querySelector(".queue-total")?.textContent?.includes(`共 ${n} 条`), totalBefore + 12);
  await page.context().close();
});

test("the server's refusals reach the console in Chinese: an action someone else took first, a report of another team", async () => {
  const page = await signIn("chenjianguo");
  const { body } = await fetchFrom(page, "/v1/console/reports?state=pending_review&limit=1");
  const pending = JSON.parse(body).items[0].report.id;
  await open(page, "review", pending);
  // Meanwhile the operator registers it from another browser.
  const operator = await signIn("sunyue");
  const done = await operator.evaluate(async (id) => {
    const r = await fetch(`/v1/console/reports/${id}/actions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "approve", seen_state: "pending_review" }),
    });
    return r.status;
  }, pending);
  assert.equal(done, 200);
  await operator.context().close();
  // The leader, still looking at 待受理, registers too: refused, in Chinese, naming the states.
  await page.click("button:has-text('立案')");
  const alert = page.locator("article.report [role=alert]");
  await alert.waitFor();
  // The report is named as people know it (what, who, when), not by its ID.
  assert.match(await alert.textContent(), /^上报 .+ · .+ · .+ 现在是“已立案”，不是“待受理”：已有人先处理，请重新查看$/);
  assert.doesNotMatch(await alert.textContent(), /[0-9a-f]{8}-[0-9a-f]{4}/, "no ID");
  assert.doesNotMatch(await alert.textContent(), /[a-z]{4,}/, "no English words");
  await shot(page, "refusal-zh");
  await page.context().close();

  // A department's clerk opening a case that is not theirs: the server's 403, in Chinese.
  admin(["set-password", "--user", "liangqing"], `${PASSWORD}\n`);
  const clerk = await signIn("liangqing");
  await clerk.goto(`${url}/console/#/handling/${pending}`);
  await clerk.reload();
  const refused = clerk.locator("p.error");
  await refused.waitFor();
  assert.equal(await refused.textContent(), "此案件未派遣给本部门");
  await clerk.context().close();
});

test("a team leader is warned before registering a likely duplicate, merges a cluster at once, corrects at 立案, and reads versions as old → new", async () => {
  // A fourth tablet of the team reports the same twelve problems: with A's, B's and C's,
  // clusters of four.
  const D = tablet("tablet-d");
  D.run("demo");
  const token = admin(["enroll-device", "--user", "lixiaoming", "--device", D.run("device-id").trim()]);
  D.run("sync", "--server", url, "--token", token);

  const page = await signIn("chenjianguo");
  const detail = async (id) => JSON.parse((await fetchFrom(page, `/v1/console/reports/${id}`)).body);
  const stateOf = async (id) => (await detail(id)).item.state;
  const post = (path, body) =>
    page.evaluate(
      async ([p, b]) => {
        const r = await fetch(p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
        return r.status;
      },
      [path, body],
    );
  // A's reports nobody has touched in the tests before (the seal test broke 6 and 7), each
  // with three later reports of the same problem waiting.
  const clusters = [];
  for (const id of aIds.slice(8)) {
    const d = await detail(id);
    const dups = d.related.filter((r) => r.duplicate_of === id && r.state === "pending_review");
    if (d.item.state === "pending_review" && dups.length >= 3) clusters.push({ id, dups: dups.map((r) => r.report.id) });
  }
  assert.ok(clusters.length >= 3, `clusters of four: ${JSON.stringify(clusters)}`);
  const noId = /[0-9a-f]{8}-[0-9a-f]{4}/;

  // 1. Registering a likely duplicate: held back with a warning naming the other report as
  // people know it, how far and how long apart; nothing changes until the leader chooses.
  const warnedOf = clusters[0];
  const [dup, dup2] = warnedOf.dups;
  await open(page, "review", dup);
  await page.click("article.report .actions-panel button:has-text('立案')");
  const warning = page.locator(".duplicate-warning");
  await warning.waitFor();
  const said = await warning.locator("p").textContent();
  assert.match(said, /^疑似重复：与 李晓明 于 \d{4}-\d\d-\d\d \d\d:\d\d 上报的“\d{4} .+”（待受理）可能是同一问题，相距 \d+ 米，发现时间相差 \d+ 分钟。请合并到该上报；确属不同问题才仍要立案$/);
  assert.doesNotMatch(said, noId);
  assert.equal(await stateOf(dup), "pending_review", "nothing registered");
  assert.deepEqual(await warning.locator("button").allTextContents(), [
    `合并到 ${await page.textContent(`.related li[data-related="${warnedOf.id}"] a`)}`,
    "仍要立案",
    "取消",
  ]);
  await warning.scrollIntoViewIfNeeded();
  await shot(page, "duplicate-warning");
  // Merge into the report it duplicates, from the warning.
  await warning.locator("button", { hasText: "合并到" }).click();
  await page.waitForSelector(`article.report[data-report="${dup}"] .badge.state-merged`);
  // Another one registered anyway, after the warning.
  await open(page, "review", dup2);
  await page.click("article.report .actions-panel button:has-text('立案')");
  await warning.waitFor();
  await page.click(".duplicate-warning button:has-text('仍要立案')");
  await page.waitForSelector(`article.report[data-report="${dup2}"] .case-no`);
  const dupCase = (await page.textContent(".case-no")).trim();
  // Now the first report would be a second case of the same problem: said by case number.
  await open(page, "review", warnedOf.id);
  await page.click("article.report .actions-panel button:has-text('立案')");
  await warning.waitFor();
  assert.match(
    await warning.locator("p").textContent(),
    new RegExp(`^疑似重复：与案件 ${dupCase} 可能是同一问题，相距 \\d+ 米，发现时间相差 \\d+ 分钟。请合并到该案件；确属不同问题才仍要立案$`),
  );
  await page.click(".duplicate-warning button:has-text('取消')");
  assert.equal(await stateOf(warnedOf.id), "pending_review");

  // 2. A cluster of four merged with one button; all or none.
  const cluster = clusters[1];
  await open(page, "review", cluster.id);
  for (const id of cluster.dups) await page.check(`.related li[data-related="${id}"] input[name=merge]`);
  assert.equal(await page.textContent("button.merge-cluster"), `合并选中的 ${cluster.dups.length} 份到此上报`);
  // Meanwhile the operator returns one of them to the inspector.
  const operator = await signIn("sunyue");
  const returned = cluster.dups[cluster.dups.length - 1];
  assert.equal(
    await operator.evaluate(
      async (id) =>
        (
          await fetch(`/v1/console/reports/${id}/actions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ action: "return", comment: "请补拍", seen_state: "pending_review" }),
          })
        ).status,
      returned,
    ),
    200,
  );
  await operator.context().close();
  await page.click("button.merge-cluster");
  const refused = page.locator(".related-reports [role=alert]");
  await refused.waitFor();
  assert.match(await refused.textContent(), /^未合并任何上报：上报 .+ · 李晓明 · .+ 现在是“已退回”，不是“待受理”：已有人先处理，请重新查看$/);
  assert.doesNotMatch(await refused.textContent(), noId);
  for (const id of cluster.dups.slice(0, -1)) assert.equal(await stateOf(id), "pending_review", "nothing merged");
  // Looked at again: the three go in at once.
  await open(page, "review", cluster.id);
  for (const id of cluster.dups) await page.check(`.related li[data-related="${id}"] input[name=merge]`);
  await page.click("button.merge-cluster");
  await page.waitForSelector(`article.report[data-report="${cluster.id}"] [role=status]`);
  assert.equal(await page.textContent("[role=status]"), `已将 ${cluster.dups.length} 份上报合并到此上报`);
  for (const id of cluster.dups) {
    await page.waitForSelector(`.related li[data-related="${id}"] .badge.state-merged`);
    assert.equal(await stateOf(id), "merged");
  }
  assert.match(await page.textContent(".related li"), /≈ 相距 \d+ 米，发现时间相差 \d+ (分钟|小时)$/);
  await page.locator(".related-reports").scrollIntoViewIfNeeded();
  await shot(page, "merge-cluster");

  // 3. 更正并立案: the leader corrects 小类, description and address as they register it.
  const fixed = clusters[2].id;
  const before = A.sent().get(fixed);
  const to = before.category === "0504" ? "event:0507" : "event:0504";
  await open(page, "review", fixed);
  await page.click("article.report .actions-panel button:has-text('更正并立案')");
  await page.selectOption("article.report select[name=category]", to);
  await page.fill("article.report textarea[name=description]", "店外占道堆放杂物，已告知店主");
  await page.fill("article.report input[name=address]", "建设路 14 号门前");
  await page.locator(".ask.correct").scrollIntoViewIfNeeded();
  await shot(page, "correct");
  await page.click(".ask.correct button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${fixed}"] .case-no`);
  const facts = await page.textContent(`article.report[data-report="${fixed}"] .facts`);
  assert.match(facts, /店外占道堆放杂物，已告知店主/);
  assert.match(facts, /建设路 14 号门前/);
  const newName = to === "event:0504" ? "店外经营" : "乱堆物堆料";
  assert.match(await page.textContent(`article.report[data-report="${fixed}"] h2`), new RegExp(newName));
  assert.match(facts, new RegExp(`中心意见网格长立案时已更正：小类：.+ → 街面秩序 · ${newName}；问题描述：`));
  // The seal still holds: the leader's version is on the chain like every other.
  assert.equal(await page.getAttribute(`article.report[data-report="${fixed}"] .seal`, "data-seal"), "verified");
  assert.match(await page.textContent(`article.report[data-report="${fixed}"] .seal`), /^✔ 记录完好：2 个版本/);

  // 4. The versions, old → new per field, in words, with who made each and when.
  await page.click(".audit-trail summary");
  const v1 = page.locator('.audit .versions tr[data-version="1"]');
  const v2 = page.locator('.audit .versions tr[data-version="2"]');
  assert.equal(await v1.locator(".author").textContent(), "网格员 李晓明");
  assert.equal(await v1.locator(".changes").textContent(), "首次上报");
  assert.equal(await v2.locator(".author").textContent(), "网格长 陈建国");
  const changes = await v2.locator(".changes li").allTextContents();
  assert.equal(changes.length, 3, `${changes}`);
  assert.match(changes[0], new RegExp(`^小类：.+ · .+ → 街面秩序 · ${newName}$`));
  assert.equal(changes[1], `问题描述：${before.description || "—"} → 店外占道堆放杂物，已告知店主`);
  assert.equal(changes[2], `地址：${before.address || "—"} → 建设路 14 号门前`);
  assert.doesNotMatch(await page.textContent(".audit .versions"), /\b(filing|place|description)\b/, "no raw keys");
  assert.match(await v2.locator("td").nth(1).textContent(), /^\d{4}\/\d{1,2}\/\d{1,2} \d{1,2}:\d\d:\d\d$/);
  await page.locator(".audit .versions").scrollIntoViewIfNeeded();
  await shot(page, "versions");

  // The inspector's tablet takes the corrected report and the leader's note.
  A.sync();
  const onA = A.sent().get(fixed);
  assert.equal(onA.central_state, "registered");
  assert.equal(`${onA.kind}:${onA.category}`, to);
  assert.equal(onA.description, "店外占道堆放杂物，已告知店主");
  assert.equal(onA.address, "建设路 14 号门前");
  assert.equal(onA.centre_note.code, "note.corrected");
  assert.deepEqual(
    onA.centre_note.fields.map((f) => [f.field, f.params.to]),
    [
      ["category", to],
      ["description", "店外占道堆放杂物，已告知店主"],
      ["address", "建设路 14 号门前"],
    ],
  );
  await page.context().close();
});

test("a department works its cases on a phone: accept, 延期 asked and decided, 处置完成; 回退 → 改派; 缓办 and resume; 作废 after 立案; 自处理 checked from its photos", async () => {
  // A fifth tablet of the team: the demo's twelve problems again (so each is a likely
  // duplicate of A's, registered despite it) and one fixed on the spot (自处理).
  const E = tablet("tablet-e");
  E.run("demo", "--user", "lixiaoming", "--on-spot");
  const captured = E.json("reports", "--state", "queued");
  const token = admin(["enroll-device", "--user", "lixiaoming", "--device", E.run("device-id").trim()]);
  E.run("sync", "--server", url, "--token", token);
  const eIds = captured.map((r) => r.id).sort();
  assert.equal(eIds.length, 13);
  const onSpot = captured.find((r) => r.handled_on_spot).id;
  const [accepted, bounced, suspended, voided] = eIds.filter((id) => id !== onSpot);

  admin(["set-password", "--user", "liangqing"], `${PASSWORD}\n`);
  admin(["set-password", "--user", "huangwei"], `${PASSWORD}\n`);
  const operator = await signIn("sunyue");
  const api = (page, id, body) =>
    page.evaluate(
      async ([p, b]) => {
        const r = await fetch(p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
        return r.status;
      },
      [`/v1/console/reports/${id}/actions`, body],
    );
  const item = async (page, id) => JSON.parse((await fetchFrom(page, `/v1/console/reports/${id}`)).body).item;
  for (const id of [accepted, bounced, suspended, voided, onSpot]) {
    assert.equal(await api(operator, id, { action: "approve", despite_duplicate: true, seen_state: "pending_review" }), 200);
  }
  for (const id of [accepted, bounced, suspended]) {
    assert.equal(await api(operator, id, { action: "dispatch", department: "SZ", seen_state: "registered" }), 200);
  }

  // The clerk of 市政 on a phone: 处置任务 first, its cases as cards, each counting down.
  const phone = { width: 390, height: 844 };
  const clerk = await signIn("liangqing", phone);
  assert.deepEqual(await clerk.locator("header nav a").allTextContents(), ["处置任务"]);
  await clerk.waitForSelector(`.handling .cards a[data-report="${accepted}"]`);
  const card = clerk.locator(`.handling .cards a[data-report="${accepted}"]`);
  // Working time left, and the deadline itself (the time alone today, else the day too).
  assert.match(await card.locator(".countdown").textContent(), /^剩 \d+ 工时( \d+ 分)?(\d{1,2}\/\d{1,2} )?\d\d:\d\d 前$/);
  assert.match(await card.locator(".case-no").textContent(), /^\d{8}-\d{4}$/);
  // Overdue first: no card that is on time stands above one that is not.
  const dues = await clerk.$$eval(".handling .cards .countdown", (cs) => cs.map((c) => c.classList.contains("due-overdue")));
  assert.equal(dues.indexOf(false) === -1 ? dues.length : dues.lastIndexOf(true) < dues.indexOf(false), true, `${dues}`);
  // Nothing wider than the phone.
  assert.ok(await clerk.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling");
  await shot(clerk, "department-queue");

  // 接收 → 处理中; the list steps aside for the case, and comes back.
  await card.click();
  const article = clerk.locator(`article.report[data-report="${accepted}"]`);
  await article.locator(".actions-panel").waitFor();
  assert.equal(await clerk.locator(".handling-list").isVisible(), false);
  assert.deepEqual(await article.locator(".actions-panel button").allTextContents(), ["接收", "处置完成", "回退", "申请延期"]);
  // A likely duplicate of a report out of the clerk's reach is said so, never by an ID.
  const dupNotice = await article.locator(".notice.duplicate").textContent();
  assert.equal(dupNotice, "疑似重复：与另一份不在你工作范围内的上报为同一问题");
  await article.locator("button[data-action=accept]").click();
  await clerk.waitForSelector("p.done:has-text('已接收')");
  assert.equal(await article.locator("h2 .badge").first().textContent(), "处理中");

  // 申请延期: 8 working hours, with a reason; the deadline does not move until decided.
  const dueBefore = (await item(clerk, accepted)).case.due_at;
  await article.locator("button[data-action=request_extension]").click();
  await article.locator("input[name=hours]").fill("8");
  await article.locator("textarea[name=reason]").fill("需要更换井盖，备件明天到货");
  await article.locator(".ask button:has-text('确定')").click();
  await clerk.waitForSelector("p.done:has-text('已申请延期')");
  assert.match(await article.locator(".facts .extension-asked").textContent(), /^申请延期 8 工时（.+）：需要更换井盖，备件明天到货$/);
  assert.equal((await item(clerk, accepted)).case.due_at, dueBefore);
  assert.equal(await article.locator("button[data-action=request_extension]").count(), 0, "one request at a time");
  await shot(clerk, "department-extension");

  // The operator approves it: the deadline moves 8 working hours (one working day on).
  await open(operator, "cases", accepted);
  const opView = operator.locator(`article.report[data-report="${accepted}"]`);
  await opView.locator("button[data-action=decide_extension]").click();
  assert.match(await opView.locator(".ask .extension-asked").textContent(), /备件明天到货/);
  await opView.locator("textarea[name=comment]").fill("同意");
  await opView.locator(".ask button:has-text('批准延期')").click();
  await operator.waitForSelector("p.done:has-text('已批准延期')");
  const dueApproved = (await item(operator, accepted)).case.due_at;
  assert.ok(new Date(dueApproved) > new Date(dueBefore), `${dueBefore} → ${dueApproved}`);
  assert.equal((await item(operator, accepted)).case.extension, null);

  // Asked again and refused: the deadline stays.
  assert.equal(await api(clerk, accepted, { action: "request_extension", hours: 4, reason: "雨天无法施工", seen_state: "in_progress" }), 200);
  await open(operator, "cases", accepted);
  await opView.locator("button[data-action=decide_extension]").click();
  await opView.locator(".ask button:has-text('不批准')").click();
  await operator.waitForSelector("p.done:has-text('已不批准')");
  assert.equal((await item(operator, accepted)).case.due_at, dueApproved);

  // 处置完成 with a handling note, from the phone.
  await open(clerk, "handling", accepted);
  await article.locator("button[data-action=handled]").click();
  await article.locator("textarea[name=note]").fill("已更换新井盖并加固");
  // An after-photo from the phone's camera: made ready in the browser (scaled, re-encoded,
  // hashed), declared with 处置完成, uploaded over tus with the clerk's session.
  await article.locator("input[name=after-photos]").setInputFiles(join(FIXTURES, "photos", "orient-2.jpg"));
  await article.locator("p.hint:has-text('已选 1 张照片')").waitFor();
  await shot(clerk, "department-handled");
  await article.locator(".ask button:has-text('确定')").click();
  await clerk.waitForSelector("p.done:has-text('已处置完成')");
  assert.equal((await item(clerk, accepted)).state, "handled");
  // The note stands on the case for whoever checks it.
  assert.match(await article.locator(".facts .handling-note").textContent(), /^已更换新井盖并加固 · 梁青 · /);
  // The photo arrives whole: declared, then held.
  let detail;
  for (let i = 0; i < 100; i++) {
    detail = JSON.parse((await fetchFrom(clerk, `/v1/console/reports/${accepted}`)).body);
    if (detail.handling_photos.length === 1 && detail.item.photos_arrived.includes(detail.handling_photos[0].id)) break;
    await clerk.waitForTimeout(100);
  }
  assert.equal(detail.handling_photos.length, 1);
  const declared = detail.handling_photos[0];
  assert.ok(detail.item.photos_arrived.includes(declared.id), "the after-photo arrived");
  assert.equal(declared.stage, "after");
  assert.ok(Math.max(declared.width, declared.height) <= 1600);
  const bytes = await fetchFrom(clerk, `/v1/console/photos/${declared.sha256}`);
  assert.equal(bytes.status, 200);
  await open(clerk, "handling", accepted);
  assert.equal(await article.locator("[data-evidence] .after img").count(), 1);
  assert.match(await article.locator("[data-evidence] .after .hint").textContent(), /^处置部门 · /);

  // 回退: not 市政's; back to the centre with a reason, which 改派s to 环卫.
  await open(clerk, "handling", bounced);
  const back = clerk.locator(`article.report[data-report="${bounced}"]`);
  await back.locator("button[data-action=bounce]").click();
  await back.locator("textarea[name=reason]").fill("属环卫职责，非市政设施");
  await back.locator(".ask button:has-text('确定')").click();
  // The case is no longer theirs: back to the list, which says so.
  await clerk.waitForSelector(".handling-list p.done:has-text('已回退')");
  await clerk.waitForSelector(`.handling .cards a[data-report="${bounced}"]`, { state: "detached" });
  assert.equal((await item(operator, bounced)).state, "registered");
  await open(operator, "cases", bounced);
  const again = operator.locator(`article.report[data-report="${bounced}"]`);
  await again.locator("button[data-action=dispatch]").click();
  await again.locator("select[name=department]").selectOption("HW");
  await again.locator(".ask button:has-text('确定')").click();
  await operator.waitForSelector("p.done:has-text('已派遣')");
  const hw = await item(operator, bounced);
  assert.equal(hw.case.department, "HW");
  // Now 环卫's: its clerk has it, 市政's no longer sees it.
  const hwClerk = await signIn("huangwei", phone);
  await hwClerk.waitForSelector(`.handling .cards a[data-report="${bounced}"]`);
  assert.equal((await fetchFrom(clerk, `/v1/console/reports/${bounced}`)).status, 403);
  await hwClerk.context().close();

  // 缓办 with a reason and a date, then 恢复办理: back to where it was.
  await open(operator, "cases", suspended);
  const held = operator.locator(`article.report[data-report="${suspended}"]`);
  await held.locator("button[data-action=suspend]").click();
  await held.locator("textarea[name=reason]").fill("道路施工围挡，暂无法处置");
  const resumeOn = new Date(Date.now() + 7 * 86400_000).toISOString().slice(0, 10);
  await held.locator("input[name=until]").fill(resumeOn);
  await held.locator(".ask button:has-text('确定')").click();
  await operator.waitForSelector("p.done:has-text('已缓办')");
  assert.equal((await item(operator, suspended)).state, "suspended");
  assert.match(await held.locator(".facts").textContent(), new RegExp(`缓办至 ${resumeOn}`));
  await held.locator("button[data-action=resume]").click();
  await operator.waitForSelector("p.done:has-text('已恢复办理')");
  assert.equal((await item(operator, suspended)).state, "dispatched");

  // 作废 after 立案, with a reason.
  await open(operator, "cases", voided);
  const gone = operator.locator(`article.report[data-report="${voided}"]`);
  await gone.locator("button[data-action=void]").click();
  await gone.locator("textarea[name=reason]").fill("重复立案，已由其他案件处理");
  await gone.locator(".ask button:has-text('确定')").click();
  await operator.waitForSelector("p.done:has-text('已作废')");
  assert.equal((await item(operator, voided)).state, "rejected");

  // 自处理: registered straight to 待核查, no department; the leader checks the photos.
  const spot = await item(operator, onSpot);
  assert.equal(spot.state, "handled");
  assert.equal(spot.case.department, null);
  const leader = await signIn("chenjianguo");
  await open(leader, "cases", onSpot);
  const own = leader.locator(`article.report[data-report="${onSpot}"]`);
  assert.equal(await own.locator("[data-evidence] .after img").count(), 1);
  // The demo's after-photo was taken weeks before the problem was found: the leader is told.
  assert.match(await own.locator("[data-evidence] .early-after").textContent(), /^处置后照片的拍摄时间（.+）早于问题发现时间（.+）/);
  await own.locator("button[data-action=verify]").click();
  await own.locator(".ask button:has-text('核查通过')").click();
  await leader.waitForSelector("p.done:has-text('已核查通过')");
  const closed = await item(leader, onSpot);
  assert.equal(closed.state, "closed");
  assert.equal(closed.case.closure, "on_spot");
  assert.match(await own.locator(".facts .closure").textContent(), /^自处理结案$/);
  await leader.context().close();
  await operator.context().close();
  await clerk.context().close();
});

test("a hotline call reaches the operator's review with its source and reference, and is registered without the check when no inspector can go", async () => {
  // The 12345 hotline's system files a call through the intake API, at a place outside
  // every cell (no inspector to check it), and sends it twice: one report.
  const token = admin(["port-token", "--user", "hotline12345"]);
  const now = new Date();
  const ref = `12345-BROWSER-${now.getTime()}`;
  const call = {
    caller_ref: ref,
    kind: "event",
    category: "0401",
    description: "市民来电：城郊道路塌陷约两平方米",
    address: "江门市郊外某路段",
    location: { lon: 113.5, lat: 22.9, crs: "WGS84", accuracy_m: 30, fix_time: now.toISOString(), provider: "manual" },
    observed_at: new Date(now.getTime() - 10 * 60_000).toISOString(),
  };
  const file = () =>
    fetch(`${url}/v1/intake/reports`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": ref },
      body: JSON.stringify(call),
    });
  const first = await file();
  assert.equal(first.status, 201);
  const filed = await first.json();
  assert.equal(filed.state, "awaiting_check");
  assert.equal(filed.check_task, null, "no inspector covers a place outside the grid");
  const again = await file();
  assert.equal(again.status, 200);
  assert.equal((await again.json()).report, filed.report);

  // The operator finds it in 受理审核, filtered by its source, marked 12345热线.
  const operator = await signIn("sunyue");
  await operator.goto(`${url}/console/#/review?source=hotline_12345`);
  await operator.waitForSelector(`a[data-report="${filed.report}"]`);
  assert.equal(await operator.locator(".list li").count(), 1);
  assert.equal((await operator.locator(`a[data-report="${filed.report}"] .badge.source`).textContent()).trim(), "12345热线");
  await open(operator, "review", filed.report);
  const article = operator.locator(`article.report[data-report="${filed.report}"]`);
  assert.equal((await article.locator("dd.source").textContent()).trim(), "12345热线");
  assert.equal((await article.locator("dd.caller-ref").textContent()).trim(), ref);
  assert.equal(await article.locator(".badge.state-awaiting_check").count() > 0, true);
  await shot(operator, "port-report");
  // No one can check it on site: the operator registers it without the check.
  await article.locator("button[data-action=approve]").click();
  await operator.waitForSelector(".case-no");
  const view = JSON.parse((await fetchFrom(operator, `/v1/console/reports/${filed.report}`)).body).item;
  assert.equal(view.state, "registered");
  assert.equal(view.source, "hotline_12345");
  await operator.context().close();
});

test("an administrator imports from the console: a broken grid gets its report and changes nothing, the people's list is stored and logged", async () => {
  admin(["set-password", "--user", "guanliyuan"], `${PASSWORD}\n`);
  const page = await signIn("guanliyuan");
  await page.goto(`${url}/console/#/import`);
  await page.waitForSelector("section.import");
  const before = admin(["users"]);

  // The broken GeoPackage, checked: every problem in the table with its row, nothing stored.
  await page.selectOption("select[name=what]", "grid");
  await page.setInputFiles("input[name=file]", join(FIXTURES, "gis", "broken-gk3-cm114.gpkg"));
  await page.click("button[name=check]");
  await page.waitForSelector(".import-report");
  assert.equal(await page.getAttribute(".import-report", "data-stored"), "false");
  assert.match(await page.textContent(".import-report [role=status]"), /^未导入：25 cells read from a GeoPackage .* 9 problems: nothing was imported/);
  const rows = await page.locator("table.import-problems tbody tr").allTextContents();
  assert.equal(rows.length, 9, rows.join("\n"));
  assert.ok(rows.some((r) => r.startsWith("19") && r.includes("is not 15 digits")), rows.join("\n"));
  await shot(page, "import-report");

  // The people's list (Chinese headers, GBK-free UTF-8): imported, and there.
  await page.selectOption("select[name=what]", "people");
  await page.setInputFiles("input[name=file]", join(FIXTURES, "city", "people.csv"));
  await page.click("button[name=import]");
  await page.waitForSelector(".import-report[data-stored=true]");
  assert.equal(await page.textContent(".import-report [role=status]"), "已导入：4 people from people.csv");
  const after = admin(["users"]);
  assert.notEqual(after, before);
  assert.match(after, /zhoujie\tinspector\tT440703001-02\t周杰\tactive/);

  // A file the import does not read is refused in words.
  await page.setInputFiles("input[name=file]", { name: "grid.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ") });
  await page.click("button[name=check]");
  await page.waitForSelector("section.import [role=alert]");
  assert.match(await page.textContent("section.import [role=alert]"), /^文件无法导入：/);

  await page.goto(`${url}/console/#/audit`);
  await page.waitForSelector("table.admin-acts tbody tr");
  const [, actor, action] = await page.locator("table.admin-acts tbody tr").first().locator("td").allTextContents();
  assert.deepEqual([actor, action], ["guanliyuan", "导入人员"]);
  await page.context().close();
});

test("a team leader opens a component from a 部件 report and reads its history", async () => {
  // 4407030103000001 雨水井盖 in 东华社区's first cell (fixtures/components).
  const report = await pushReport({
    kind: "component",
    category: "0103",
    component_id: "4407030103000001",
    description: "雨水井盖破损",
    address: "环市街道东华社区",
    location: { lon: 113.0610562, lat: 22.5980937, crs: "WGS84", accuracy_m: 4.5, provider: "gps" },
    cell: "440703001001001",
  });
  const page = await signIn("chenjianguo");
  await open(page, "review", report.id);
  await page.click(`article.report[data-report="${report.id}"] a.component-link`);
  await page.waitForSelector("#component-facts");
  const facts = await page.textContent("#component-facts");
  assert.match(facts, /4407030103000001/);
  assert.match(facts, /雨水井盖/);
  assert.match(facts, /蓬江区水务局/);
  assert.match(facts, /440703001001001/);
  await page.waitForSelector(`#component-history li[data-report="${report.id}"]`);
  assert.equal(await page.locator("#component-history li").count(), 1);
  await shot(page, "component");
  // An ID not on the books is said so; a malformed one cannot be asked.
  await page.fill("#component-id", "4407030103999999");
  await page.click(".components button[type=submit]");
  await page.waitForSelector("#component-error");
  assert.match(await page.textContent("#component-error"), /不在部件台账中/);
  await page.fill("#component-id", "12345");
  assert.equal(await page.locator(".components button[type=submit]").isDisabled(), true);
  await page.context().close();
});

test("a team leader shows an inspector of their team a one-time enrollment QR code", async () => {
  const page = await signIn("chenjianguo");
  await page.goto(`${url}/console/#/devices`);
  await page.waitForSelector("#enroll-inspector option", { state: "attached" });
  // Only the leader's own inspectors are offered.
  const offered = await page.locator("#enroll-inspector option").allTextContents();
  assert.ok(offered.some((o) => o.includes("lixiaoming")), offered.join(" "));
  await page.selectOption("#enroll-inspector", "lixiaoming");
  await page.click("#enroll-make");
  await page.waitForSelector("#enroll-qr svg");
  const code = (await page.textContent("#enroll-code")).trim();
  assert.match(code, /^[A-Z0-9]{4}(-[A-Z0-9]{4}){4}$/);
  await shot(page, "enroll-qr");
  // The code enrolls a tablet once, at the device route, with no token.
  const device = uuid7();
  const { publicKey } = generateKeyPairSync("ed25519");
  const key = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
  const redeem = () =>
    fetch(`${url}/v1/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code, device, public_key: key }),
    });
  const first = await redeem();
  assert.equal(first.status, 200, await first.clone().text());
  assert.equal((await redeem()).status, 409);
  await page.context().close();
});
