//! The engine's sync logs, captured as JSON lines: every round says which device and which
//! round it was; a failed round says why, and the retry how long it waits; and nothing
//! logged carries the report's words or the device token.
#![allow(clippy::unwrap_used)]

mod common;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridwalk_field::sync::{RetryPolicy, SyncClient};
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

const DESCRIPTION: &str = "门口堆着张先生的旧沙发";
const TOKEN: &str = "device-token-that-must-not-be-logged";

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The engine's events (not its dependencies').
    fn events(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["target"].as_str().unwrap().starts_with("gridwalk_field"))
            .collect()
    }
}

/// A port that was free a moment ago: nothing answers there.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn named<'a>(events: &'a [Value], message: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["fields"]["message"] == message)
        .collect()
}

#[tokio::test]
async fn failed_rounds_log_device_round_cause_and_wait() {
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine_at(dir.path());
    let draft = engine.create_draft().unwrap();
    common::ready_draft(&engine, draft.id, Some(DESCRIPTION.into()));
    engine.finalize(draft.id).unwrap();
    engine
        .configure_sync(&format!("http://127.0.0.1:{}", dead_port()), TOKEN)
        .unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();

    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .finish();
    let policy = RetryPolicy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
        max_failures: Some(3),
    };
    let err = {
        let _logging = tracing::subscriber::set_default(subscriber);
        engine
            .sync_until_done(&client, "test", policy, None)
            .await
            .unwrap_err()
    };
    assert_eq!(err.kind(), "network", "{err}");

    let events = logs.events();
    let device = engine.device_id().to_string();
    let in_round = |e: &Value, round: u64| {
        assert_eq!(e["span"]["name"], "sync_round", "{e}");
        assert_eq!(e["span"]["device"], device.as_str(), "{e}");
        assert_eq!(e["span"]["round"], round, "{e}");
    };

    let pushes = named(&events, "push");
    assert_eq!(pushes.len(), 3, "one push tried per round: {events:#?}");
    for (round, e) in (1..).zip(&pushes) {
        in_round(e, round);
        assert_eq!(e["level"], "DEBUG");
        assert_eq!(e["fields"]["mutations"], 1, "{e}");
    }

    let failed = named(&events, "sync round failed");
    assert_eq!(failed.len(), 3, "{events:#?}");
    for (round, e) in (1..).zip(&failed) {
        in_round(e, round);
        assert_eq!(e["level"], "WARN");
        assert_eq!(e["fields"]["kind"], "network", "{e}");
        assert_eq!(e["fields"]["settled"], 0, "{e}");
        let cause = e["fields"]["error"].as_str().unwrap();
        assert!(
            cause.contains("cannot reach the server (no connection)"),
            "the cause says what failed: {cause}"
        );
    }

    let retries = named(&events, "sync round will be retried");
    assert_eq!(retries.len(), 2, "no retry after the last allowed failure");
    for (round, e) in (1..).zip(&retries) {
        in_round(e, round);
        assert_eq!(e["level"], "INFO");
        assert_eq!(e["fields"]["failures"], round, "{e}");
        assert_eq!(e["fields"]["kind"], "network", "{e}");
        assert!(e["fields"]["retry_in_ms"].as_u64().unwrap() <= 5, "{e}");
    }

    let gave_up = named(&events, "sync gave up");
    assert_eq!(gave_up.len(), 1, "{events:#?}");
    in_round(gave_up[0], 3);
    assert_eq!(gave_up[0]["level"], "ERROR");
    assert_eq!(gave_up[0]["fields"]["failures"], 3);

    assert!(
        named(&events, "sync round finished").is_empty(),
        "no round finished"
    );
    let text = logs.text();
    assert!(!text.contains(TOKEN), "the token is never logged");
    assert!(
        !text.contains(DESCRIPTION),
        "a report's words are never logged"
    );
}

#[tokio::test]
async fn rounds_are_numbered_per_engine() {
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine_at(dir.path());
    engine
        .configure_sync(&format!("http://127.0.0.1:{}", dead_port()), TOKEN)
        .unwrap();
    let client = SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap();

    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(logs.clone())
        .finish();
    {
        let _logging = tracing::subscriber::set_default(subscriber);
        for _ in 0..2 {
            assert!(engine.sync_once(&client, "test").await.is_err());
        }
    }
    let events = logs.events();
    let failed = named(&events, "sync round failed");
    let rounds: Vec<&Value> = failed.iter().map(|e| &e["span"]["round"]).collect();
    assert_eq!(rounds, [1, 2], "{events:#?}");
    assert!(
        named(&events, "push").is_empty(),
        "debug events stay out at the info level"
    );
}
