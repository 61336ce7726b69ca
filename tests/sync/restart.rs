//! The real `gridwalk-sync` binary, set up with its own admin commands, killed with
//! SIGKILL in the middle of devices' pushes and started again, over and over: in the end
//! every report is there exactly once and nothing on the device was lost.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use gridwalk_field::ReportState;
use gridwalk_system_tests::*;
use rand::Rng;
use tokio::process::Child;

/// Starts the server on `port` and waits until it listens.
async fn start(centre: &BinaryCentre, port: u16) -> Child {
    let (child, url) = centre.start(&format!("127.0.0.1:{port}"), &[]).await;
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    child
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
    let centre = BinaryCentre::new(backend).await;
    let loaded = centre
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
    let token = centre
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
        let mut server = start(&centre, port).await;
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
    let mut server = start(&centre, port).await;
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
    centre.finish().await;
}

on_every_backend!(killing_the_server_mid_push_loses_nothing_and_duplicates_nothing);
