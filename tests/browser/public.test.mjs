// The public's 随手拍 page in a real browser (Debian's Chromium, driven by playwright-core)
// at a phone's size, against the real sync server with the fixtures: a citizen without an
// account picks a problem, takes a photo (a camera file with EXIF orientation 6, which the
// page turns upright, shrinks and strips), is placed by the browser's position and sends it;
// the centre holds it once, from the public, with the photo's bytes, waiting for the cell's
// inspector to check it (待核实). A draft sent while offline, or whose answer is lost after
// the centre filed it, is kept and filed once when the citizen tries again. What is missing
// is said before anything is sent.
//
// Screenshots: docs/screenshots/public-report.png and public-done.png. Needs what
// console.test.mjs needs (`cargo test --workspace --no-run`, `npm run build`); run from
// `ui/`: `npm run e2e`.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
const { chromium } = createRequire(join(ROOT, "ui", "package.json"))("playwright-core");
const BIN = join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug");
if (!existsSync(join(BIN, "gridwalk-sync"))) {
  throw new Error(`${join(BIN, "gridwalk-sync")} is missing: run \`cargo test --workspace --no-run\` first`);
}
const FIXTURES = join(ROOT, "fixtures");
const SHOTS = join(ROOT, "docs", "screenshots");
const CHROMIUM = process.env.GRIDWALK_CHROMIUM ?? "/usr/bin/chromium";
const PASSWORD = "监督员的密码2026";
// In cell 440703001001001, which 李晓明 walks.
const HERE = { longitude: 113.0631, latitude: 22.5983, accuracy: 15 };

const dir = mkdtempSync(join(tmpdir(), "gridwalk-public-"));
const centre = join(dir, "centre");
const admin = (args, input) =>
  execFileSync(join(BIN, "gridwalk-sync"), ["--data-dir", centre, "admin", ...args], { input, encoding: "utf8" }).trim();

let server;
let url;
let browser;
let session;

/** The operator's view of the console API (the centre's side of what the page sent). */
async function api(path) {
  const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${session}` } });
  assert.equal(r.status, 200, path);
  return r.json();
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  admin(["load-fixtures", FIXTURES]);
  admin(["set-password", "--user", "sunyue"], `${PASSWORD}\n`);
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
  const r = await fetch(`${url}/v1/console/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: "sunyue", password: PASSWORD }),
  });
  session = (await r.json()).token;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The reference a citizen is shown: the report ID's last group, upper case. */
const short = (id) => id.split("-").pop().toUpperCase();

async function phone() {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    geolocation: HERE,
    permissions: ["geolocation"],
  });
  const page = await context.newPage();
  await page.goto(`${url}/public/`);
  await page.waitForSelector("form.draft");
  return { context, page };
}

/** Fills a draft: 市容环境 · 暴露垃圾, one photo, words and an address. */
async function fill(page, words) {
  await page.selectOption("select[name=major]", { label: "市容环境" });
  await page.selectOption("select[name=category]", { label: "暴露垃圾" });
  await page.setInputFiles("input[type=file]", join(FIXTURES, "photos", "orient-6.jpg"));
  await page.waitForSelector(".photos img");
  await page.fill("textarea[name=description]", words);
  await page.fill("input[name=address]", "建设路 12 号门口");
  await page.waitForSelector(".place.got");
}

test("a citizen sends a photo, the position and a few words without an account; the centre holds it once", async () => {
  const { context, page } = await phone();
  assert.match(await page.textContent("h1"), /随手拍/);
  assert.match(await page.textContent("footer"), /每小时最多提交 10 条/);

  // Nothing is sent while something is missing, and the page says what.
  await page.click("button.send");
  const needs = await page.locator(".needs li").allTextContents();
  assert.deepEqual(needs, ["请选择问题的大类和小类", "请至少拍一张照片", "请描述所见问题"]);
  const before = await api("/v1/console/reports?source=public");
  assert.equal(before.items.length, 0);

  await fill(page, "小区门口垃圾堆了好几天，没人清运");
  assert.match(await page.textContent(".place"), /已定位（约 ±15 米）/);
  await page.screenshot({ path: join(SHOTS, "public-report.png"), fullPage: true });
  await page.click("button.send");
  await page.waitForSelector(".done");
  const reference = (await page.textContent(".done .reference")).trim();
  assert.match(await page.textContent(".done h2"), /已收到/);
  await page.screenshot({ path: join(SHOTS, "public-done.png"), fullPage: true });

  // The centre's side: one report from the public, waiting for its check, the photo held
  // upright, shrunk and without the camera's EXIF.
  const after = await api("/v1/console/reports?source=public");
  assert.equal(after.items.length, 1);
  const item = after.items[0];
  assert.equal(short(item.report.id), reference, "the reference is the ID's last group");
  assert.equal(item.state, "awaiting_check");
  assert.equal(item.report.category, "0102");
  assert.equal(item.report.location.provider, "gps");
  const [photo] = item.report.photos;
  assert.deepEqual([photo.width, photo.height], [1024, 768], "turned upright by its EXIF orientation");
  assert.deepEqual(item.photos_arrived, [photo.id]);
  const bytes = new Uint8Array(
    await (await fetch(`${url}/v1/console/photos/${photo.sha256}`, { headers: { authorization: `Bearer ${session}` } })).arrayBuffer(),
  );
  assert.equal(bytes.length, photo.bytes);
  const exif = Buffer.from(bytes).includes(Buffer.from("Exif\0\0"));
  assert.equal(exif, false, "no EXIF left the phone");

  // 我的上报 keeps it on the phone and asks how it stands.
  await page.click("button:has-text('再报一个问题')");
  await page.click("button:has-text('刷新进度')");
  await page.waitForSelector(`.mine li:has-text("${reference}")`);
  assert.match(await page.textContent(".mine li"), /待核实/);
  await context.close();
});

test("a draft sent without a network, or whose answer is lost, is kept and filed once", async () => {
  const { context, page } = await phone();
  await fill(page, "人行道上有积存垃圾");
  // No network at all: nothing reaches the centre.
  await context.setOffline(true);
  await page.click("button.send");
  await page.waitForSelector(".failure");
  assert.match(await page.textContent(".failure"), /网络不通，内容已保留/);
  assert.equal(await page.textContent("button.send"), "重新提交");
  await context.setOffline(false);
  // The centre files it, but its answer is lost on the way back.
  await page.route(
    "**/v1/public/reports",
    async (route) => {
      const r = await route.fetch();
      assert.equal(r.status(), 201, "the centre filed it");
      await route.abort("connectionreset");
    },
    { times: 1 },
  );
  await page.click("button.send");
  await page.waitForFunction(() => document.querySelector("button.send")?.textContent === "重新提交");
  // Sent again, the same submission: the first report is answered.
  await page.click("button.send");
  await page.waitForSelector(".done");
  const reference = (await page.textContent(".done .reference")).trim();
  const held = await api("/v1/console/reports?source=public");
  assert.equal(held.items.length, 2, "one more report, however often it was sent");
  assert.ok(held.items.some((i) => short(i.report.id) === reference));
  await context.close();
});
