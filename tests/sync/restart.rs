//! The real `gridwalk-sync` binary, set up with its own admin commands, killed with
//! SIGKILL in the middle of devices' pushes and started again, over and over: in the end
//! every report is there exactly once and nothing on the device was lost.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use gridwalk_field::ReportState;
use gridwalk_system_tests::*;
use rand::Rng;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How the binary is pointed at its case store.
struct Setup {
    bin: std::path::PathBuf,
    args: Vec<String>,
    pg_schema: Option<String>,
    _dir: tempfile::TempDir,
}

async fn setup(backend: Backend) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--data-dir".to_owned(),
        dir.path().join("data").display().to_string(),
    ];
    let mut pg_schema = None;
    if let Backend::Postgres = backend {
        let schema = format!("gw_test_{}", uuid::Uuid::now_v7().simple());
        pg_execute(&format!("CREATE SCHEMA {schema}")).await;
        let sep = if pg_url().contains('?') { '&' } else { '?' };
        args.push("--db".into());
        args.push(format!(
            "{}{sep}options=-c%20search_path%3D{schema}",
            pg_url()
        ));
        pg_schema = Some(schema);
    }
    Setup {
        bin: binary("gridwalk-sync"),
        args,
        pg_schema,
        _dir: dir,
    }
}

impl Setup {
    async fn admin(&self, rest: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .args(&self.args)
            .arg("admin")
            .args(rest)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "admin {rest:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Starts the server on `port` and waits until it listens.
    async fn start(&self, port: u16) -> Child {
        let mut child = Command::new(&self.bin)
            .args(&self.args)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        assert_eq!(first, format!("listening on http://127.0.0.1:{port}"));
        child
    }

    async fn finish(self) {
        if let Some(schema) = self.pg_schema {
            pg_execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
        }
    }
}

async fn reports_held(port: u16) -> usize {
    let health: serde_json::Value = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    usize::try_from(health["reports"].as_u64().unwrap()).unwrap()
}

async fn killing_the_server_mid_push_loses_nothing_and_duplicates_nothing(backend: Backend) {
    const REPORTS: usize = 360;
    let setup = setup(backend).await;
    let loaded = setup
        .admin(&["load-fixtures", fixtures().to_str().unwrap()])
        .await;
    assert_eq!(loaded, "", "load-fixtures prints nothing on stdout");

    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    for i in 0..REPORTS {
        let photos = if i % 60 == 0 {
            vec![fixtures().join("photos/orient-7.jpg")]
        } else {
            vec![]
        };
        capture(&engine, &photos, RUBBISH);
    }
    let token = setup
        .admin(&[
            "enroll-device",
            "--user",
            INSPECTOR,
            "--device",
            &engine.device_id().to_string(),
        ])
        .await;
    assert_eq!(token.len(), 64, "a bare token: {token:?}");

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = connect(&engine, &format!("http://127.0.0.1:{port}"), &token);
    let (mut interrupted, mut answers_lost) = (0, 0);
    for _round in 0..8 {
        let mut server = setup.start(port).await;
        // Did the last kill land after the centre applied something but before the device
        // heard? Then the centre is ahead of the device, and the repeat must be harmless.
        let held = reports_held(port).await;
        let settled =
            REPORTS - usize::try_from(engine.queue_summary().unwrap().pending_reports).unwrap();
        assert!(held >= settled, "the centre lost what it acknowledged");
        if held > settled {
            answers_lost += 1;
        }
        let delay = Duration::from_millis(rand::rng().random_range(5..120));
        let sync = engine.sync_once(&client, "test");
        tokio::pin!(sync);
        let finished = tokio::select! {
            r = &mut sync => Some(r),
            () = tokio::time::sleep(delay) => None,
        };
        server.kill().await.unwrap();
        let result = match finished {
            Some(r) => r,
            None => sync.await,
        };
        match result {
            Ok(_) => {}
            Err(e) => {
                assert!(e.is_retryable(), "{e:?}");
                interrupted += 1;
            }
        }
        if engine.queue_summary().unwrap().pending_reports == 0 {
            break;
        }
    }
    assert!(interrupted > 0, "no kill landed during a sync");

    // Up for good: whatever is left goes through.
    let mut server = setup.start(port).await;
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(done.rejected, 0);
    let q = engine.queue_summary().unwrap();
    assert_eq!((q.pending_reports, q.pending_photos), (0, 0), "{q:?}");
    assert_eq!(engine.reports(ReportState::Sent).unwrap().len(), REPORTS);
    assert_eq!(
        reports_held(port).await,
        REPORTS,
        "each report exactly once"
    );
    server.kill().await.unwrap();
    eprintln!(
        "{interrupted} syncs were cut off by a kill; {answers_lost} times the centre had \
         applied mutations whose answers never reached the device"
    );
    setup.finish().await;
}

on_every_backend!(killing_the_server_mid_push_loses_nothing_and_duplicates_nothing);
