// The console in a real browser (Debian's Chromium, driven by playwright-core) against the
// real sync server, fed by real field engines (the `gridwalk-field` CLI on two tablets of
// one inspector). A team leader approves, returns (and the tablet sees it), rejects and
// merges; an operator resolves a conflict the two tablets made; a case is dispatched and
// handled and its verification task reaches the tablet; a report whose tablet claims a cell
// the centre does not have is marked 位置存疑. Screenshots of every page go to
// docs/screenshots/console-*.png.
//
// Needs the workspace's debug binaries (`cargo test --workspace --no-run` builds them with the
// same features as the test run, so nothing is compiled twice) and `npm run build` in `ui/`
// (scripts/test-all.sh does both). Run from `ui/`: `npm run e2e`. playwright-core comes from
// `ui/node_modules`, where the console's other tooling is.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { generateKeyPairSync, sign } from "node:crypto";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
const { chromium } = createRequire(join(ROOT, "ui", "package.json"))("playwright-core");
const BIN = join(ROOT, "target", "debug");
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
    ["--data-dir", centre, "serve", "--listen", "127.0.0.1:0", "--console-dir", join(ROOT, "ui", "dist")],
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

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `console-${name}.png`) });

test("sign-in refuses a wrong password in words", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}/console/`);
  await page.fill("input[name=login]", "chenjianguo");
  await page.fill("input[name=password]", "not the password");
  await page.click("button[type=submit]");
  await page.waitForSelector("[role=alert]");
  assert.equal(await page.textContent("[role=alert]"), "the login or the password is wrong");
  await shot(page, "signin");
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
  await page.click("button:has-text('作废')");
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
  assert.equal(onA.get(aIds[1]).centre_note, comment);
  assert.equal(onA.get(aIds[2]).central_state, "rejected");
  assert.equal(onA.get(aIds[0]).central_state, "registered");

  // The device board: both tablets, nothing left on them.
  await page.goto(`${url}/console/#/devices`);
  await page.waitForSelector("table.devices tbody tr");
  assert.equal(await page.locator("table.devices tbody tr").count(), 2);
  assert.match(await page.textContent("table.devices tbody"), /李晓明/);
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
  await page.selectOption("select[name=department]", "HW");
  await page.click("button:has-text('确定')");
  await page.waitForSelector(`article.report[data-report="${aIds[0]}"] .badge.state-dispatched`);
  assert.match(await page.textContent(".facts"), /环境卫生管理处/);
  await shot(page, "cases");
  await page.click("button:has-text('处置完成')");
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
  const table = await page.textContent(".evaluation table");
  assert.match(table, /李晓明/);
  await shot(page, "evaluation");
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.getAttribute("a:has-text('导出 CSV')", "href"));
  assert.match(csv.split("\r\n")[1], /^李晓明,/);

  // English is a click away.
  await page.click("button:has-text('English')");
  await page.waitForSelector("header nav a:has-text('Evaluation')");
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

test("a report whose tablet claims a cell the centre does not have is marked for the leader", async () => {
  // A tablet that sends what the app never would: a made-up cell for a position in 江门.
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
    cell: "999999999999999",
    location_flags: [],
    urgency: "normal",
    observed_at: seen,
    reporter: users.find((u) => u.login === "lixiaoming").id,
    device,
    photos: [],
    clips: [],
    handled_on_spot: false,
  };
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
  assert.equal(resp.status, 200);
  assert.equal((await resp.json()).results[0].outcome, "applied");

  const page = await signIn("chenjianguo");
  await page.waitForSelector(`a[data-report="${report.id}"] .badge.disputed`);
  await open(page, "review", report.id);
  assert.equal((await page.textContent(`article.report[data-report="${report.id}"] dd.cell`)).trim(), "440703001001003");
  const notice = await page.textContent(`article.report[data-report="${report.id}"] .notice.disputed`);
  assert.match(notice, /位置存疑/);
  assert.match(notice, /999999999999999/);
  assert.match(notice, /该网格在中心网格数据中不存在/);
  await shot(page, "place-disputed");
  await page.context().close();
});
