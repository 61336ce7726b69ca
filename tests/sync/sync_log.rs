//! The field engine's sync logs against a real server, captured as JSON lines: a round cut
//! in the middle of a photo and the round that finishes it say what each phase did (push
//! and its answers, photos and the resumed upload, pulled pages), under the device's ID
//! and the round's number, and never the report's words or the device token.
//!
//! This is about the engine's logging, not the case store, so it runs on SQLite only.
#![allow(clippy::unwrap_used)]

use std::io;
use std::sync::{Arc, Mutex};

use gridwalk_field::DraftPatch;
use gridwalk_field::sync::RetryPolicy;
use gridwalk_netem::{Profile, Proxy};
use gridwalk_protocol::{Crs, Location, LocationProvider, PhotoStage};
use gridwalk_system_tests::*;
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

const DESCRIPTION: &str = "王女士家门口的井盖松动";

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

    /// The engine's events (not the server's, which runs on the same thread).
    fn events(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["target"].as_str().unwrap().starts_with("gridwalk_field"))
            .collect()
    }
}

/// The events with this message in this round.
fn named<'a>(events: &'a [Value], message: &str, round: u64) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["fields"]["message"] == message && e["span"]["round"] == round)
        .collect()
}

#[tokio::test]
async fn a_round_cut_mid_photo_and_the_round_that_resumes_it_are_logged() {
    let s = server(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    capture(
        &engine,
        &[fixtures().join("photos/street-4000x3000.jpg")],
        RUBBISH,
    );
    let draft = engine.create_draft().unwrap();
    engine
        .add_photo(
            draft.id,
            &fixtures().join("photos/orient-3.jpg"),
            PhotoStage::Before,
        )
        .unwrap();
    engine
        .set_location(
            draft.id,
            Location {
                lon: 113.0631,
                lat: 22.5983,
                crs: Crs::Wgs84,
                accuracy_m: 5.0,
                fix_time: chrono::Utc::now(),
                provider: LocationProvider::Gps,
            },
        )
        .unwrap();
    engine
        .update_draft(
            draft.id,
            &DraftPatch {
                kind: Some(RUBBISH.0),
                category: Some(RUBBISH.1.parse().unwrap()),
                description: Some(DESCRIPTION.into()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    engine.finalize(draft.id).unwrap();
    let token = enroll(&s, &engine).await;
    // The records go through; the connection breaks inside the first photo.
    let mut link = Profile::clear();
    link.cut_once_at = Some(60_000);
    let proxy = Proxy::start(s.url.trim_start_matches("http://").parse().unwrap(), link)
        .await
        .unwrap();
    let client = connect(&engine, &proxy.url(), &token).with_chunk_size(32 * 1024);
    let policy = RetryPolicy {
        base: std::time::Duration::from_millis(10),
        cap: std::time::Duration::from_millis(50),
        max_failures: Some(5),
    };

    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .finish();
    let done = {
        let _logging = tracing::subscriber::set_default(subscriber);
        engine
            .sync_until_done(&client, "test", policy, None)
            .await
            .unwrap()
    };
    assert_eq!((done.sent, done.photos.uploaded), (2, 2));
    s.finish().await;

    let events = logs.events();
    let device = engine.device_id().to_string();
    for e in &events {
        assert_eq!(e["span"]["device"], device.as_str(), "{e}");
    }
    let one = |message: &str, round: u64| -> &Value {
        let found = named(&events, message, round);
        assert_eq!(found.len(), 1, "{message:?} in round {round}: {events:#?}");
        found[0]
    };

    // Round 1: the records are pushed and applied, then the first photo is cut.
    let push = one("push", 1);
    assert_eq!(push["fields"]["mutations"], 2, "{push}");
    let answered = one("push answered", 1);
    assert_eq!(answered["fields"]["applied"], 2, "{answered}");
    assert_eq!(answered["fields"]["rejected"], 0, "{answered}");
    let needs = one("photos the centre still needs", 1);
    assert_eq!(needs["fields"]["needed"], 2, "{needs}");
    let failed = one("sync round failed", 1);
    assert_eq!(failed["level"], "WARN");
    assert_eq!(failed["fields"]["kind"], "network", "{failed}");
    assert_eq!(failed["fields"]["settled"], 2, "{failed}");
    let retry = one("sync round will be retried", 1);
    assert!(
        retry["fields"]["retry_in_ms"].as_u64().unwrap() <= 50,
        "{retry}"
    );

    // Round 2: the cut upload goes on from the centre's offset; the feed is pulled.
    let resumed = one("photo upload resumed", 2);
    assert_eq!(resumed["level"], "INFO");
    assert!(
        resumed["fields"]["offset"].as_u64().unwrap() > 0,
        "{resumed}"
    );
    let uploaded = named(&events, "photo uploaded", 2);
    assert_eq!(uploaded.len(), 2, "{events:#?}");
    assert!(
        uploaded[0]["fields"]["resumed_from"].as_u64().unwrap() > 0,
        "{}",
        uploaded[0]
    );
    assert_eq!(uploaded[1]["fields"]["resumed_from"], 0, "{}", uploaded[1]);
    let photos = one("photos done", 2);
    assert_eq!(photos["fields"]["uploaded"], 2, "{photos}");
    assert_eq!(photos["fields"]["resumed"], 1, "{photos}");
    let pulled = one("pull done", 2);
    assert!(pulled["fields"]["pages"].as_u64().unwrap() >= 1, "{pulled}");
    let changes = pulled["fields"]["changes"].as_u64().unwrap();
    assert!(changes >= 2, "the two reports come back: {pulled}");
    let finished = one("sync round finished", 2);
    assert_eq!(finished["level"], "INFO");
    let f = &finished["fields"];
    assert_eq!(f["sent"], 0, "sent in round 1: {finished}");
    assert_eq!(f["photos_uploaded"], 2, "{finished}");
    assert!(f["photo_bytes_sent"].as_u64().unwrap() > 0, "{finished}");
    assert_eq!(f["pulled"].as_u64().unwrap(), changes, "{finished}");
    assert!(named(&events, "sync round finished", 1).is_empty());

    let text = logs.text();
    assert!(!text.contains(&token), "the token is never logged");
    assert!(
        !text.contains(DESCRIPTION),
        "a report's words are never logged"
    );
}
