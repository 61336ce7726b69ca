//! The real app, driven through its real WebView against a real sync server:
//! `tauri-driver` under Xvfb starts the `gridwalk-app` binary and relays WebDriver to
//! WebKitWebDriver; the centre is the real `gridwalk-sync` binary on its embedded SQLite.
//!
//! The scenario: the inspector signs in with signal by photographing the team leader's
//! one-time enrollment QR code (the camera the centre issued them filled in), the server
//! goes down, they report a problem with a photo (the taps are
//! counted), see it queued and the sync fail in words, and are told they cannot sign out
//! yet; the server comes back, they sync, and see the centre received it; their grid shows
//! no position it does not have; once everything is sent they sign out, keeping the reports. The app runs on the
//! reference data built into it (no `GRIDWALK_FIXTURES`), as on a tablet. A second run
//! installs an offline basemap (a package generated over the fixture grid) in settings and
//! sees its streets under the grid's cells.
//!
//! Needs `tauri-driver` (`cargo install tauri-driver --locked`), `WebKitWebDriver`
//! (Debian: webkit2gtk-driver) and `xvfb-run` (xvfb); the README's test command installs
//! them. Screenshots of each main screen go to `docs/screenshots/`.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(name: &str) -> PathBuf {
    let cargo_bin = PathBuf::from(std::env::var("HOME").unwrap_or_default())
        .join(".cargo/bin")
        .join(name);
    if cargo_bin.exists() {
        cargo_bin
    } else {
        PathBuf::from(name)
    }
}

/// `tauri-driver` on its own X display, killed with its whole process group on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(data: &Path) -> Self {
        use std::os::unix::process::CommandExt;
        let (port, native) = (free_port(), free_port());
        let child = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1280x1400x24"])
            .arg(tool("tauri-driver"))
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env_remove("GRIDWALK_FIXTURES")
            .env("GRIDWALK_DATA", data)
            // The WebView's own storage (the UI's language choice) goes with the test too.
            .env("XDG_DATA_HOME", data.join("xdg-data"))
            .env("XDG_CONFIG_HOME", data.join("xdg-config"))
            .env("XDG_CACHE_HOME", data.join("xdg-cache"))
            .process_group(0)
            .spawn()
            .expect("xvfb-run and tauri-driver (see the module doc)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    /// A WebDriver session on a freshly started app.
    async fn session(&self) -> Client {
        let caps = serde_json::json!({
            "tauri:options": { "application": env!("CARGO_BIN_EXE_gridwalk-app") }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        // tauri-driver listens before WebKitWebDriver behind it is ready: retry a while.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let http = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(http)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await
            {
                Ok(c) => return c,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("no session yet ({e}); trying again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no WebDriver session: {e}"),
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // xvfb-run, Xvfb, tauri-driver, WebKitWebDriver and the app share one group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Waits until `css` shows text other than the loading mark, and returns it.
async fn text_of(c: &Client, css: &str) -> String {
    wait_text(c, css, |t| !t.is_empty() && t != "…").await
}

/// Waits until the text of `css` satisfies `ok`, and returns it.
async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    wait_text_for(c, css, Duration::from_secs(30), ok).await
}

async fn wait_text_for(
    c: &Client,
    css: &str,
    limit: Duration,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + limit;
    let mut last = String::new();
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(t) = el.text().await
        {
            if ok(&t) {
                return t;
            }
            last = t;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed what was expected; last: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(c: &Client, name: &str) {
    // Two animation frames: what was just rendered is painted before it is captured.
    c.execute_async(
        "const done = arguments[arguments.length - 1];
         requestAnimationFrame(() => requestAnimationFrame(() => done()));",
        vec![],
    )
    .await
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.png")),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
}

/// Counts what the inspector does with a finger.
#[derive(Default)]
struct Taps(u32);

impl Taps {
    async fn tap(&mut self, c: &Client, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let tapped = match c.find(Locator::Css(css)).await {
                Ok(el) => el.click().await,
                Err(e) => Err(e),
            };
            match tapped {
                Ok(_) => break,
                Err(e) => {
                    assert!(Instant::now() < deadline, "could not tap {css}: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        self.0 += 1;
    }

    /// Taking a photo: one tap on the button; the camera's file arrives in the input.
    async fn photo(&mut self, c: &Client, input: &str, file: &Path) {
        let el = find(c, input).await;
        el.send_keys(file.to_str().unwrap()).await.unwrap();
        self.0 += 1;
    }
}

/// Finds `css`, waiting for it to appear.
async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match c.find(Locator::Css(css)).await {
            Ok(el) => return el,
            Err(e) => assert!(Instant::now() < deadline, "{css} never appeared: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the input `css` holds `value`, and returns it.
async fn wait_value(c: &Client, css: &str, value: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = None;
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(v) = el.prop("value").await
        {
            if v.as_deref() == Some(value) {
                return value.to_owned();
            }
            last = v;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never held {value:?}; last: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let el = find(c, css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// The real sync server on a fixed port, so it can be stopped and started again.
struct Centre {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

fn server_bin() -> PathBuf {
    // The workspace's target directory, or CARGO_TARGET_DIR's when one is set.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let bin = target.join("debug/gridwalk-sync");
    // Built (or found up to date) once per run, never taken stale from an older build: the
    // same command as the system tests' harness, so the features match the workspace's and
    // nothing is compiled twice.
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["test", "--workspace", "--no-run", "--quiet"])
            .status()
            .unwrap();
        assert!(ok.success(), "building the workspace's binaries");
    });
    bin
}

impl Centre {
    fn new() -> Self {
        let centre = Self {
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            child: None,
        };
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        centre.admin(&["load-fixtures", fixtures.to_str().unwrap()]);
        centre
    }

    fn admin(&self, rest: &[&str]) -> String {
        let out = Command::new(server_bin())
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("admin")
            .args(rest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "admin {rest:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let child = Command::new(server_bin())
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "the sync server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `GET /healthz` over a plain socket: how many reports the centre holds.
    fn reports_held(&self) -> u64 {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let body = answer.split("\r\n\r\n").nth(1).unwrap();
        serde_json::from_str::<serde_json::Value>(body).unwrap()["reports"]
            .as_u64()
            .unwrap()
    }
}

impl Drop for Centre {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn a_report_made_offline_reaches_the_centre_when_it_is_back() {
    let mut centre = Centre::new();
    centre.start();
    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start(data.path());

    // Cold start: from asking for the app to its queue screen answering from the engine.
    // The WebDriver session is ready when the window and its WebView are up (the platform's
    // share); the rest is the app's own (engine open, reference data, first commands).
    let started = Instant::now();
    let c = driver.session().await;
    let webview = started.elapsed();
    assert_eq!(
        text_of(&c, "#queue-summary").await,
        "全部已上传",
        "an empty queue, in Chinese"
    );
    let usable = started.elapsed();
    assert_eq!(text_of(&c, "#queue-last-sync").await, "尚未同步");
    // The room left on the file system the data directory is on (this machine has plenty).
    wait_text(&c, "#queue-storage", |t| t.starts_with("本机剩余空间")).await;
    assert!(c.find(Locator::Css("#storage-warning")).await.is_err());
    println!(
        "cold start: WebView ready {} ms, usable queue screen {} ms (ratio {:.2})",
        webview.as_millis(),
        usable.as_millis(),
        usable.as_secs_f64() / webview.as_secs_f64()
    );

    // Signing in, with signal: the team leader shows a one-time QR code (here made from the
    // command line, as the console's panel makes it) and the inspector photographs it with
    // 扫码登记; the camera's picture arrives in the scan input. Nothing is typed.
    find(&c, "#nav-settings").await.click().await.unwrap();
    let device = text_of(&c, "#device-id").await;
    let made = centre.admin(&[
        "enrollment-code",
        "--user",
        "lixiaoming",
        "--server",
        &centre.url(),
    ]);
    let payload = made.lines().nth(1).unwrap().to_owned();
    assert!(payload.starts_with("gridwalk://enroll?"), "{made}");
    let picture = data.path().join("enrollment-qr.jpg");
    std::fs::write(&picture, gridwalk_system_tests::qr_jpeg(&payload, 8)).unwrap();
    find(&c, "#enroll-scan")
        .await
        .send_keys(picture.to_str().unwrap())
        .await
        .unwrap();
    wait_text(&c, "#account", |t| t.contains("李晓明")).await;
    // The centre holds this very device for 李晓明, enrolled by the code.
    let devices = centre.admin(&["devices"]);
    assert!(
        devices
            .lines()
            .any(|l| l.starts_with(&device) && l.contains("lixiaoming")),
        "{devices}"
    );
    // Signed in: which centre, who (with their 工号), this device; no token to type again.
    assert_eq!(text_of(&c, "#account-server").await, centre.url());
    assert_eq!(text_of(&c, "#account-badge").await, "440102");
    assert_eq!(text_of(&c, "#device-id").await, device);
    assert!(c.find(Locator::Css("#token")).await.is_err());
    assert!(c.find(Locator::Css("#enroll")).await.is_err());
    // The body-cam the centre issued them (users.json: JMC0001) fills the camera field.
    wait_value(&c, "#camera-serial", "JMC0001").await;
    screenshot(&c, "settings").await;

    // Out of signal: the centre is gone.
    centre.stop();

    // The common report: a photo, a category, submit. At most five taps.
    let mut taps = Taps::default();
    taps.tap(&c, "#nav-new").await;
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos/orient-1.jpg");
    taps.photo(&c, "#photo-before-input", &photo.canonicalize().unwrap())
        .await;
    // The photo's own GPS places the report when the WebView has no fix (as under Xvfb).
    // Its cell named as the inspector knows it, from the grid the tablet holds.
    wait_text(&c, "#report-cell", |t| {
        t.contains("环市街道 · 东华社区 · 003号网格")
    })
    .await;
    taps.tap(&c, "[data-major='event:05']").await;
    taps.tap(&c, "[data-code='event:0507']").await;
    wait_text(&c, "#category-chosen", |t| t.contains("乱堆物堆料")).await;
    find(&c, ".thumb img").await;
    c.execute("document.querySelector('main').scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    screenshot(&c, "new-report").await;
    taps.tap(&c, "#submit").await;
    println!("taps for the common report: {}", taps.0);
    assert!(taps.0 <= 5, "the common report took {} taps", taps.0);

    // Queued, and a sync now fails in words.
    wait_text(&c, "#queue-summary", |t| {
        t.starts_with("1 份上报、1 张照片")
    })
    .await;
    assert_eq!(text_of(&c, "#report-list .report-state").await, "待上传");
    find(&c, "#sync-now").await.click().await.unwrap();
    wait_text(&c, "#queue-error", |t| t.starts_with("无法连接服务器")).await;
    screenshot(&c, "queue-offline").await;

    // Signing out now would strand the report: the app says so and keeps the inspector in.
    find(&c, "#nav-settings").await.click().await.unwrap();
    find(&c, "#sign-out").await.click().await.unwrap();
    wait_text(&c, "#sign-out-unsent", |t| {
        t.starts_with("本机还有 1 份上报") && t.contains("1 张照片")
    })
    .await;
    assert!(c.find(Locator::Css("#sign-out-yes")).await.is_err());
    screenshot(&c, "settings-sign-out-unsent").await;
    find(&c, "#sign-out-no").await.click().await.unwrap();
    wait_text(&c, "#account", |t| t.contains("李晓明")).await;
    find(&c, "#nav-queue").await.click().await.unwrap();

    // Signal again. Nobody presses anything: the app's sync worker, backing off since the
    // failures, tries again by itself and sends the report.
    centre.start();
    let back = Instant::now();
    wait_text_for(&c, "#queue-summary", Duration::from_secs(90), |t| {
        t == "全部已上传"
    })
    .await;
    println!(
        "sent by the sync worker {} ms after the server came back",
        back.elapsed().as_millis()
    );
    let state = wait_text(&c, "#report-list .report-state", |t| t == "待受理").await;
    assert_eq!(state, "待受理", "the centre holds the record and its photo");
    assert_eq!(centre.reports_held(), 1);
    screenshot(&c, "queue").await;

    // Its detail and history.
    find(&c, "#report-list .report-row")
        .await
        .click()
        .await
        .unwrap();
    wait_text(&c, "#detail-progress", |t| t.contains("中心已接收")).await;
    screenshot(&c, "detail").await;

    // My grid with the report's pin; the tasks screen.
    find(&c, "#nav-grid").await.click().await.unwrap();
    wait_text(&c, "#grid-cells", |t| t.contains("440703001001003")).await;
    find(&c, ".map .pin.pending_review").await;
    // No fix under Xvfb: the words say so and no position is drawn; the report's pin is
    // not in the position's blue.
    assert_eq!(text_of(&c, "#grid-position").await, "暂无定位");
    assert!(c.find(Locator::Css(".map .position")).await.is_err());
    let fills = c
        .execute(
            "return [...document.querySelectorAll('.map .pin')].map(p => getComputedStyle(p).fill);",
            vec![],
        )
        .await
        .unwrap();
    let fills: Vec<String> = serde_json::from_value(fills).unwrap();
    assert!(!fills.is_empty());
    assert!(
        fills.iter().all(|f| f != "rgb(27, 95, 191)"),
        "a report drawn in the position's blue: {fills:?}"
    );
    screenshot(&c, "grid").await;
    find(&c, "#nav-tasks").await.click().await.unwrap();
    text_of(&c, "#tasks-none").await;
    screenshot(&c, "tasks").await;

    // A second report, online, outside the inspector's cells: the app warns, the inspector
    // drags the marker to correct the position, and the recent category is one tap.
    let mut taps = Taps::default();
    taps.tap(&c, "#nav-new").await;
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos/orient-2.jpg");
    taps.photo(&c, "#photo-before-input", &photo.canonicalize().unwrap())
        .await;
    wait_text(&c, "#location-flags", |t| t.contains("不是您负责的网格")).await;
    let map = find(&c, "#new-report .map").await;
    let drag = MouseActions::new("finger".into())
        .then(PointerAction::MoveToElement {
            element: map,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(300)),
            x: 60.0,
            y: -20.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(drag).await.unwrap();
    taps.0 += 1;
    wait_text(&c, "#location-status", |t| t.starts_with("手动校正")).await;
    taps.tap(&c, ".recent .chip[data-code='event:0507']").await;
    wait_text(&c, "#category-chosen", |t| t.contains("乱堆物堆料")).await;
    taps.tap(&c, "#submit").await;
    println!(
        "taps for a report with a recent category and a corrected position: {}",
        taps.0
    );
    assert!(taps.0 <= 5, "took {} taps", taps.0);
    wait_text_for(&c, "#queue-summary", Duration::from_secs(60), |t| {
        t == "全部已上传"
    })
    .await;
    assert_eq!(centre.reports_held(), 2);

    // A clip reference starts with the issued camera and the inspector's 工号.
    find(&c, "#nav-new").await.click().await.unwrap();
    find(&c, "#clip-add").await.click().await.unwrap();
    wait_value(&c, "#clip-camera_serial", "JMC0001").await;
    wait_value(&c, "#clip-officer_badge", "440102").await;

    // Everything has reached the centre: signing out is offered, and keeps the reports.
    find(&c, "#nav-settings").await.click().await.unwrap();
    find(&c, "#sign-out").await.click().await.unwrap();
    wait_text(&c, "#sign-out-confirm", |t| t.contains("都会保留")).await;
    find(&c, "#sign-out-yes").await.click().await.unwrap();
    wait_text(&c, "#account", |t| t.starts_with("尚未登录")).await;
    type_into(&c, "#token", "typed").await;
    assert_eq!(
        find(&c, "#server-url")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(centre.url().as_str())
    );
    assert_eq!(wait_value(&c, "#camera-serial", "").await, "");
    screenshot(&c, "settings-signed-out").await;
    find(&c, "#nav-queue").await.click().await.unwrap();
    assert_eq!(text_of(&c, "#queue-summary").await, "全部已上传");
    assert_eq!(
        c.find_all(Locator::Css("#report-list .report-row"))
            .await
            .unwrap()
            .len(),
        2,
        "the reports stay on the device"
    );

    // English on request.
    find(&c, "#nav-settings").await.click().await.unwrap();
    find(&c, "#language")
        .await
        .select_by_value("en")
        .await
        .unwrap();
    assert_eq!(text_of(&c, "#nav-queue").await, "Queue");
    find(&c, "#nav-queue").await.click().await.unwrap();
    assert_eq!(
        text_of(&c, "#queue-summary").await,
        "Everything is uploaded"
    );
    c.close().await.unwrap();
}

/// The fixture grid's cell outlines as "streets" and the box around them, for a generated
/// basemap whose streets must lie exactly on the cells the map draws.
fn fixture_streets() -> (
    Vec<Vec<(f64, f64)>>,
    gridwalk_field::basemap::tiles::LonLatBox,
) {
    let grid =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/grid/440703-pengjiang.geojson");
    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(grid).unwrap()).unwrap();
    let mut lines = Vec::new();
    for feature in geojson["features"].as_array().unwrap() {
        let rings = &feature["geometry"]["coordinates"];
        // Polygons: the outer ring; multipolygons: each polygon's.
        let outer: Vec<&serde_json::Value> = if feature["geometry"]["type"] == "Polygon" {
            vec![&rings[0]]
        } else {
            rings.as_array().unwrap().iter().map(|p| &p[0]).collect()
        };
        for ring in outer {
            lines.push(
                ring.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                    .collect(),
            );
        }
    }
    let (mut west, mut south, mut east, mut north) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
    for &(lon, lat) in lines.iter().flatten() {
        (west, south, east, north) = (west.min(lon), south.min(lat), east.max(lon), north.max(lat));
    }
    let pad = 0.002;
    let bounds = gridwalk_field::basemap::tiles::LonLatBox {
        west: west - pad,
        south: south - pad,
        east: east + pad,
        north: north + pad,
    };
    (lines, bounds)
}

/// The offline basemap: a city's package picked in settings (a file that is not one is
/// refused in words first), its streets drawn under the grid's cells from the app's own
/// tile scheme, and removed again. Kept apart from the sign-in scenario above: it needs no
/// centre and no one signed in (the grid then shows all the cells).
#[tokio::test]
async fn a_basemap_installed_in_settings_draws_streets_under_the_grid() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let package = files.path().join("pengjiang.mbtiles");
    let (lines, bounds) = fixture_streets();
    let written = gridwalk_field::basemap::sample::write(
        &package,
        "蓬江区街道（测试）",
        bounds,
        14..=17,
        &lines,
    )
    .unwrap();
    println!(
        "generated basemap: {} tiles, {} bytes",
        written.tiles, written.bytes
    );
    let driver = Driver::start(data.path());
    let c = driver.session().await;

    find(&c, "#nav-settings").await.click().await.unwrap();
    wait_text(&c, "#basemap", |t| t.contains("尚未安装离线底图")).await;
    // A picture is not a map package: refused in words, nothing installed.
    let not_a_package = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/image.png");
    find(&c, "#basemap-input")
        .await
        .send_keys(not_a_package.canonicalize().unwrap().to_str().unwrap())
        .await
        .unwrap();
    wait_text(&c, "#basemap-error", |t| {
        t.contains("不是本应用能读取的离线底图包") && t.contains("没有安装")
    })
    .await;
    assert!(c.find(Locator::Css("#basemap-name")).await.is_err());
    assert!(!data.path().join("basemap.mbtiles").exists());

    find(&c, "#basemap-input")
        .await
        .send_keys(package.to_str().unwrap())
        .await
        .unwrap();
    wait_text_for(&c, "#basemap-name", Duration::from_secs(60), |t| {
        t == "蓬江区街道（测试）"
    })
    .await;
    assert_eq!(text_of(&c, "#basemap-zoom").await, "14–17 级");
    assert!(text_of(&c, "#basemap-size").await.ends_with("MB（PNG）"));
    assert!(c.find(Locator::Css("#basemap-error")).await.is_err());
    c.execute(
        "document.querySelector('#basemap-remove').scrollIntoView({ block: 'center' })",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "settings-basemap").await;

    // The grid: every tile the view needs loads from the app's scheme, under the cells.
    find(&c, "#nav-grid").await.click().await.unwrap();
    find(&c, ".map .cell").await;
    find(&c, ".map .basemap image.tile").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (tiles, loaded, failed) = loop {
        let counts = c
            .execute(
                "const q = (s) => document.querySelectorAll('.map .basemap image.tile' + s).length;
                 return [q(''), q('[data-loaded]'), q('[data-failed]')];",
                vec![],
            )
            .await
            .unwrap();
        let (tiles, loaded, failed): (u64, u64, u64) = serde_json::from_value(counts).unwrap();
        if loaded + failed == tiles || Instant::now() > deadline {
            break (tiles, loaded, failed);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("grid map: {tiles} tiles drawn, {loaded} loaded, {failed} failed");
    assert!(tiles > 0 && failed == 0 && loaded == tiles);
    // A tile is a real 256-pixel picture, as the WebView decoded it.
    let size = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const img = new Image();
             img.onload = () => done([img.naturalWidth, img.naturalHeight]);
             img.onerror = () => done(null);
             img.src = document.querySelector('.map .basemap image.tile').getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(size, serde_json::json!([256, 256]));
    assert!(text_of(&c, ".map .attribution").await.contains("Gridwalk"));
    screenshot(&c, "grid-basemap").await;

    // Removed: the cells alone again.
    find(&c, "#nav-settings").await.click().await.unwrap();
    // At the foot of the settings, under the bottom bar until scrolled to.
    find(&c, "#basemap-remove").await;
    c.execute(
        "document.querySelector('#basemap-remove').scrollIntoView({ block: 'center' })",
        vec![],
    )
    .await
    .unwrap();
    find(&c, "#basemap-remove").await.click().await.unwrap();
    wait_text(&c, "#basemap", |t| t.contains("尚未安装离线底图")).await;
    assert!(!data.path().join("basemap.mbtiles").exists());
    find(&c, "#nav-grid").await.click().await.unwrap();
    find(&c, ".map .cell").await;
    assert!(c.find(Locator::Css(".map .basemap")).await.is_err());
    c.close().await.unwrap();
}
