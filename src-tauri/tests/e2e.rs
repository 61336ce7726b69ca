//! The real app, driven through its real WebView: `tauri-driver` under Xvfb starts the
//! `gridwalk-app` binary and relays WebDriver to WebKitWebDriver.
//!
//! Needs `tauri-driver` (`cargo install tauri-driver --locked`), `WebKitWebDriver`
//! (Debian: webkit2gtk-driver) and `xvfb-run` (xvfb); the README's test command installs
//! them. Screenshots of each screen go to `docs/screenshots/`.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

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
            .env(
                "GRIDWALK_FIXTURES",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"),
            )
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
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(t) = el.text().await
            && !t.is_empty()
            && t != "…"
        {
            return t;
        }
        assert!(Instant::now() < deadline, "{css} never showed");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn screenshot(c: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.png")),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
}

#[tokio::test]
async fn the_app_starts_in_chinese_and_switches_to_english() {
    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start(data.path());
    let started = Instant::now();
    let c = driver.session().await;
    let first = text_of(&c, "#queue-summary").await;
    let usable = started.elapsed();
    assert_eq!(first, "全部已上传", "an empty queue, in Chinese");
    assert_eq!(text_of(&c, "#queue-last-sync").await, "尚未同步");
    println!(
        "cold start to a usable queue screen: {} ms",
        usable.as_millis()
    );
    screenshot(&c, "queue").await;

    c.find(Locator::Css("#nav-settings"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let select = c.find(Locator::Css("#language")).await.unwrap();
    select.select_by_value("en").await.unwrap();
    assert_eq!(text_of(&c, "#nav-queue").await, "Queue");
    screenshot(&c, "settings").await;
    c.find(Locator::Css("#nav-queue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&c, "#queue-summary").await, "Everything is sent");
    c.close().await.unwrap();
}
