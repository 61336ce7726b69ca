// The city map and the overview screen (大屏) in a real browser (Debian's Chromium, driven
// by playwright-core) against the real sync server. Two teams report: 李晓明's tablet (the
// `gridwalk-field` demo, twelve reports) and 赵敏's, whose sixteen reports are pushed signed
// over HTTP at chosen places, fourteen of them crowded into one cell; an operator registers
// and dispatches four of them, one past its deadline. Then:
//
// - the map draws the grid without asking anything of any other server, colours reports
//   by state with a legend whose counts match, gathers the crowd into a numbered cluster
//   that zooms in when clicked until its reports stand alone, opens a report on a click,
//   takes the work queues' filters from its address and shows a new report without a
//   reload;
// - each team leader's map holds their own team only;
// - the overview's tiles, bars and top categories show the numbers the test created, a new
//   report raises today's intake without a reload, and a leader's overview counts their team.
//
// Screenshots: docs/screenshots/console-map.png and console-overview.png. Needs what
// console.test.mjs needs (`cargo test --workspace --no-run`, `npm run build`); run from
// `ui/` with `npm run e2e`.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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

const dir = mkdtempSync(join(tmpdir(), "gridwalk-map-"));
const centre = join(dir, "centre");
const admin = (args, input) =>
  execFileSync(join(BIN, "gridwalk-sync"), ["--data-dir", centre, "admin", ...args], { input, encoding: "utf8" }).trim();
const users = JSON.parse(readFileSync(join(FIXTURES, "users.json"), "utf8"));
const grid = JSON.parse(readFileSync(join(FIXTURES, "grid", "440703-pengjiang.geojson"), "utf8"));

/** The middle of a fixture cell's outline. */
function middle(code) {
  const ring = grid.features.find((f) => f.id === code).geometry.coordinates[0].slice(0, -1);
  return [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
}

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

/** The bytes a device signs for a mutation (crates/protocol/src/signing.rs), for values
 * written as the centre writes them (as console.test.mjs explains). */
function signedForm(mutation) {
  const canonical = (v) => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (v !== null && typeof v === "object") {
      return `{${Object.keys(v)
        .sort()
        .map((n) => `${JSON.stringify(n)}:${canonical(v[n])}`)
        .join(",")}}`;
    }
    return JSON.stringify(v);
  };
  const { signature: _, ...unsigned } = mutation;
  return Buffer.from(`gridwalk-mutation/v1\n${canonical(unsigned)}`, "utf8");
}

/** A tablet of `login`'s that pushes reports it makes up, signed, in order. */
function rawTablet(login) {
  const device = uuid7();
  const token = admin(["enroll-device", "--user", login, "--device", device]);
  const key = generateKeyPairSync("ed25519");
  const reporter = users.find((u) => u.login === login).id;
  let next = 1;
  return {
    /** Pushes one report per place (`{ lon, lat, cell, kind, category }`); their IDs. */
    async push(places) {
      // Whole seconds in UTC: the centre checks the signature over times as it writes them.
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const seen = new Date(Date.parse(now) - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
      const mutations = places.map((p) => {
        const report = {
          id: uuid7(),
          kind: p.kind,
          category: p.category,
          code_table_version: "CJT214-2024.1",
          component_id: null,
          description: p.description,
          address: "江华路",
          location: { lon: p.lon, lat: p.lat, crs: "WGS84", accuracy_m: 5.5, fix_time: seen, provider: "gps" },
          cell: p.cell,
          location_flags: [],
          urgency: "normal",
          observed_at: seen,
          reporter,
          device,
          photos: [],
          clips: [],
          handled_on_spot: false,
        };
        const m = { id: next++, device, created_at: now, body: { op: "submit_report", report } };
        m.signature = sign(null, signedForm(m), key.privateKey).toString("base64");
        return m;
      });
      const resp = await fetch(`${url}/v1/push`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          device,
          app_version: "browser-test",
          queue: { reports: 0, photos: 0, bytes: 0 },
          mutations,
          public_key: Buffer.from(key.publicKey.export({ format: "jwk" }).x, "base64url").toString("base64"),
        }),
      });
      assert.equal(resp.status, 200);
      const results = (await resp.json()).results;
      for (const r of results) assert.equal(r.outcome, "applied", JSON.stringify(r));
      return mutations.map((m) => m.body.report.id);
    },
  };
}

let server;
let url;
let browser;
let zhao;
/** 赵敏's crowd (14 in one cell) and her two elsewhere. */
let crowd = [];
let apart = [];
/** What the operator made of them. */
const made = { registered: [], dispatched: [], overdue: null };

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  admin(["load-fixtures", FIXTURES]);
  for (const login of ["chenjianguo", "linzhiyuan", "sunyue"]) admin(["set-password", "--user", login], `${PASSWORD}\n`);
  server = spawn(join(BIN, "gridwalk-sync"), ["--data-dir", centre, "serve", "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  url = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`the server stopped (${code})`)));
  });
  // Team 1: 李晓明's tablet, the demo's twelve reports with their photos.
  const a = join(dir, "tablet-a");
  const field = (...args) => execFileSync(join(BIN, "gridwalk-field"), ["--data-dir", a, "--fixtures", FIXTURES, ...args], { encoding: "utf8" });
  field("demo");
  const token = admin(["enroll-device", "--user", "lixiaoming", "--device", field("device-id").trim()]);
  field("sync", "--server", url, "--token", token);

  // Team 2: 赵敏, fourteen reports within about 25 m in one of her cells, two in another.
  zhao = rawTablet("zhaomin");
  const [lon, lat] = middle("440703002001001");
  const kinds = [
    ...Array(6).fill(["event", "0102", "绿化带旁暴露垃圾"]),
    ...Array(5).fill(["event", "0507", "人行道堆放建材"]),
    ...Array(3).fill(["event", "0501", "路口流动摊贩"]),
  ];
  crowd = await zhao.push(
    kinds.map(([kind, category, description], i) => ({
      lon: lon + ((i % 4) - 1.5) * 0.00005,
      lat: lat + (Math.floor(i / 4) - 1.5) * 0.00005,
      cell: "440703002001001",
      kind,
      category,
      description,
    })),
  );
  const [lon3, lat3] = middle("440703002001003");
  apart = await zhao.push(
    [0, 1].map((i) => ({ lon: lon3 + i * 0.0001, lat: lat3, cell: "440703002001003", kind: "component", category: "0102", description: "污水井盖破损" })),
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });

  // The operator registers four of the crowd and dispatches three (two to 环卫, one to 市政);
  // one of 环卫's is then past its deadline (moved back in the database: a deadline in
  // working time is hours ahead).
  const page = await signIn("sunyue");
  const act = (id, body) =>
    page.evaluate(
      async ([p, b]) => (await fetch(p, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) })).status,
      [`/v1/console/reports/${id}/actions`, body],
    );
  made.registered = crowd.slice(0, 4);
  // A crowd at one spot: each a likely duplicate of the others, registered having seen so.
  for (const id of made.registered) {
    assert.equal(await act(id, { action: "approve", despite_duplicate: true, seen_state: "pending_review" }), 200);
  }
  made.dispatched = crowd.slice(0, 3);
  for (const [id, department] of [
    [crowd[0], "HW"],
    [crowd[1], "HW"],
    [crowd[2], "SZ"],
  ]) {
    assert.equal(await act(id, { action: "dispatch", department, seen_state: "registered" }), 200);
  }
  made.overdue = crowd[0];
  execFileSync("python3", [
    "-c",
    `import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
c.execute("UPDATE cases SET due_at = '2020-01-02 08:00:00+00:00' WHERE report_id = ?", (sys.argv[2],))
c.execute("UPDATE reports SET step_due_at = '2020-01-02 08:00:00+00:00' WHERE id = ?", (sys.argv[2],))
c.commit()`,
    join(centre, "cases.db"),
    made.overdue,
  ]);
  await page.context().close();
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

/** Opens an address afresh and waits for the map with its grid and reports drawn. */
async function visit(page, hash) {
  await page.goto(`${url}/console/${hash}`);
  await page.reload();
  await page.waitForSelector(".city-map .cells path");
  await page.waitForSelector(".map-legend li, .map-page .empty");
}

/** The legend's counts by state name, as the page shows them. */
const legend = (page) =>
  page.$$eval(".map-legend li", (lis) => Object.fromEntries(lis.map((li) => [li.querySelector(".name").textContent, Number(li.querySelector(".n").textContent)])));

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `console-${name}.png`) });

test("the city map: the grid drawn offline, reports by state with a legend, a cluster that zooms in, a click that opens the case", async () => {
  const page = await signIn("sunyue");
  // Everything the page asks for comes from the centre itself: no tile server.
  const asked = [];
  page.on("request", (r) => asked.push(r.url()));
  await page.click("header nav a:has-text('城市地图')");
  await page.waitForSelector(".city-map .cells path");
  await page.waitForSelector(".map-legend li");
  assert.equal(await page.locator(".city-map .cells path").count(), grid.features.length);
  for (const u of asked) assert.ok(u.startsWith(url) || u.startsWith("data:"), `asked another server: ${u}`);
  // Zoomed out, the streets are named.
  assert.ok((await page.locator(".city-map .labels.street text").allTextContents()).includes("环市街道"));

  // Every open report of the city, coloured by state, the legend counting them in Chinese.
  assert.deepEqual(await legend(page), { 待受理: 24, 已立案: 1, 已派遣: 3 });
  assert.equal(await page.textContent(".map-total"), "地图上 28 件");
  assert.match(await page.textContent(".map-legend"), /红圈：已超期/);
  assert.equal(await page.inputValue("select[name=state]"), "", "no state asked: the open ones");
  assert.equal(await page.locator("select[name=state] option").first().textContent(), "在办（未结案）");

  // The crowd is one numbered cluster; it has the overdue case, so it is ringed red.
  const biggest = async () => {
    const counts = await page.$$eval(".city-map .cluster", (cs) => cs.map((c) => Number(c.getAttribute("data-count"))));
    return counts.length ? Math.max(...counts) : 0;
  };
  const top = await biggest();
  assert.ok(top >= crowd.length, `the crowd is one cluster (largest ${top})`);
  const cluster = page.locator(`.city-map .cluster[data-count="${top}"]`);
  assert.equal(await cluster.locator("text").textContent(), String(top));
  assert.match(await cluster.getAttribute("class"), /has-overdue/);
  await shot(page, "map");

  // Clicking a cluster zooms in on it, until its reports stand alone.
  let opened = 0;
  while ((await page.locator(`.city-map a.point[data-report="${crowd[5]}"]`).count()) === 0) {
    assert.ok(opened++ < 12, "the cluster never opened");
    const n = await biggest();
    const was = await page.getAttribute(".city-map .cells path", "d");
    await page.locator(`.city-map .cluster[data-count="${n}"]`).first().click();
    await page.waitForFunction((d) => document.querySelector(".city-map .cells path").getAttribute("d") !== d, was);
  }
  // Up close, the cells are numbered and the overdue case has its red ring.
  assert.ok((await page.locator(".city-map .labels text").count()) > 0);
  assert.equal(await page.locator(`.city-map a.point[data-report="${made.overdue}"] .ring`).count(), 1);
  // A report opens on its page: undecided ones on the review page.
  await page.locator(`.city-map a.point[data-report="${crowd[5]}"]`).click();
  await page.waitForSelector(`article.report[data-report="${crowd[5]}"]`);
  assert.equal(await page.evaluate(() => location.hash), `#/review/${crowd[5]}`);
  assert.match(await page.textContent(`article.report[data-report="${crowd[5]}"]`), /绿化带旁暴露垃圾/);

  // The queues' filters, from the address and from the form.
  await visit(page, "#/map?due=overdue");
  assert.deepEqual(await legend(page), { 已派遣: 1 });
  assert.deepEqual(await page.$$eval(".city-map a.point, .city-map .cluster", (ms) => ms.map((m) => m.getAttribute("data-report") ?? "cluster")), [made.overdue]);
  assert.equal(await page.inputValue("select[name=due]"), "overdue");
  await page.selectOption("select[name=due]", "");
  await page.selectOption("select[name=state]", "dispatched");
  await page.waitForFunction(() => location.hash === "#/map?state=dispatched");
  await page.waitForFunction(() => document.querySelector(".map-total")?.textContent === "地图上 3 件");
  assert.deepEqual(await legend(page), { 已派遣: 3 });
  await visit(page, "#/map?state=dispatched&department=HW");
  assert.equal(await page.textContent(".map-total"), "地图上 2 件");
  // By team, named after its leader; the reporters to pick from are that team's.
  await visit(page, "#/map?state=dispatched");
  await page.click(".more-filters summary");
  await page.selectOption("select[name=team]", { label: "林志远组" });
  await page.waitForFunction(() => location.hash === "#/map?state=dispatched&team=T440703002-01");
  await page.waitForFunction(() => document.querySelector(".map-total")?.textContent === "地图上 3 件");
  const reporters = await page.locator("select[name=inspector] option").allTextContents();
  assert.deepEqual(reporters.slice(1).sort(), ["何小红", "吴海涛", "周丽", "徐军", "赵敏"].sort());
  await page.selectOption("select[name=team]", { label: "陈建国组" });
  await page.waitForSelector(".map-page .empty");
  // The buttons zoom too.
  const outline = () => page.getAttribute(".city-map .cells path", "d");
  const was = await outline();
  await page.locator("button[aria-label='放大']").click();
  await page.waitForFunction((d) => document.querySelector(".city-map .cells path").getAttribute("d") !== d, was);

  // Live: a report that arrives while the map is open appears without a reload.
  await visit(page, "#/map");
  await page.evaluate(() => {
    window.stillHere = true;
  });
  const [lon, lat] = middle("440703002001002");
  await zhao.push([{ lon, lat, cell: "440703002001002", kind: "event", category: "0507", description: "新到：乱堆物堆料" }]);
  await page.waitForFunction(() => document.querySelector(".map-total")?.textContent === "地图上 29 件", undefined, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.stillHere), true, "the page was not reloaded");
  assert.equal((await legend(page))["待受理"], 25);
  await page.context().close();
});

test("a team leader's map holds their own team's reports only", async () => {
  const theirs = await signIn("linzhiyuan");
  await visit(theirs, "#/map");
  const zh = await legend(theirs);
  assert.equal(zh["待受理"], 13, JSON.stringify(zh));
  assert.equal(zh["已派遣"], 3);
  // Asking for the other team finds nothing.
  await visit(theirs, "#/map?team=T440703001-01");
  await theirs.waitForSelector(".map-page .empty");
  assert.equal(await theirs.textContent(".map-page .empty"), "没有符合条件的案件");
  await theirs.context().close();

  const ours = await signIn("chenjianguo");
  await visit(ours, "#/map");
  assert.deepEqual(await legend(ours), { 待受理: 12 });
  assert.equal(await ours.textContent(".map-total"), "地图上 12 件");
  await ours.context().close();
});

test("the overview (大屏): today's numbers, open by state and department, overdue, the week's top problems, a live map", async () => {
  const page = await signIn("sunyue", { width: 1600, height: 900 });
  await page.click("header nav a:has-text('指挥大屏')");
  await page.waitForSelector(".overview .ov-tile");
  const tile = async (key) => Number(await page.textContent(`[data-tile="${key}"] .n`));
  const label = (key) => page.textContent(`[data-tile="${key}"] .label`);
  // What the test made: 12 + 17 reports today, 4 registered, 3 dispatched, 1 overdue.
  assert.equal(await label("received"), "今日上报");
  assert.equal(await tile("received"), 29);
  assert.equal(await tile("registered"), 4);
  assert.equal(await label("dispatched"), "今日派遣");
  assert.equal(await tile("dispatched"), 3);
  assert.equal(await tile("closed"), 0);
  assert.equal(await tile("open"), 29);
  assert.equal(await label("overdue"), "处置超期");
  assert.equal(await tile("overdue"), 1);
  assert.equal(await tile("verify-overdue"), 0);
  assert.match(await page.getAttribute("[data-tile=overdue]", "class"), /alarm/);
  // Open by state, in the loop's order.
  const states = await page.$$eval("[data-panel=states] li", (lis) => lis.map((li) => [li.querySelector(".name").textContent, li.querySelector(".n").textContent]));
  assert.deepEqual(states, [
    ["待核实", "0"],
    ["照片上传中", "0"],
    ["待受理", "25"],
    ["已退回", "0"],
    ["已立案", "1"],
    ["已派遣", "3"],
    ["处理中", "0"],
    ["缓办中", "0"],
    ["待核查", "0"],
  ]);
  // Each department's desk, by name, the busiest first, overdue after the slash.
  const desks = await page.$$eval("[data-panel=departments] li", (lis) => lis.map((li) => [li.querySelector(".name").textContent, li.querySelector(".n").textContent]));
  assert.deepEqual(desks.slice(0, 2), [
    ["环境卫生管理处", "2 / 1"],
    ["市政设施维护中心", "1"],
  ]);
  assert.equal(desks.length, 6, "every department, idle ones too");
  // This week's most reported problems, named from the code table.
  assert.match(await page.textContent("[data-panel=categories] h2"), /^本周高发问题/);
  const tops = await page.$$eval("[data-panel=categories] li", (lis) => lis.map((li) => [li.querySelector(".name").textContent, li.querySelector(".n").textContent]));
  assert.deepEqual(tops[0], ["市容环境 · 暴露垃圾 (0102)", "6"]);
  assert.deepEqual(tops[1], ["街面秩序 · 乱堆物堆料 (0507)", "6"]);
  // The live map of every open report.
  await page.waitForSelector(".ov-map .city-map .cells path");
  assert.equal(await page.textContent(".ov-map h2"), "实时地图");
  await page.waitForSelector(".ov-map .map-legend li");
  await shot(page, "overview");

  // A new report raises today's intake with no reload.
  await page.evaluate(() => {
    window.stillHere = true;
  });
  const [lon, lat] = middle("440703002001002");
  await zhao.push([{ lon, lat, cell: "440703002001002", kind: "event", category: "0501", description: "又一处流动摊贩" }]);
  await page.waitForFunction(() => document.querySelector('[data-tile="received"] .n')?.textContent === "30", undefined, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.stillHere), true);
  await page.context().close();

  // A team leader's overview counts their own team.
  const leader = await signIn("chenjianguo");
  await leader.goto(`${url}/console/#/overview`);
  await leader.waitForSelector(".overview .ov-tile");
  assert.equal(Number(await leader.textContent('[data-tile="received"] .n')), 12);
  assert.equal(Number(await leader.textContent('[data-tile="overdue"] .n')), 0);
  // Of the demo's problems, only the one whose photo has no time was seen this week (the
  // others on 3 November, by their photos).
  const ourTops = await leader.$$eval("[data-panel=categories] li", (lis) => lis.map((li) => [li.querySelector(".name").textContent, li.querySelector(".n").textContent]));
  assert.deepEqual(ourTops, [["公用设施 · 污水井盖 (0102)", "1"]]);
  await leader.context().close();
});
