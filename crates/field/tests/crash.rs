//! Crash safety: a child process captures and finalizes reports in a loop and is killed
//! with SIGKILL at a random instant, 200 times over the same data directory. After every
//! kill the parent reopens the directory and checks that:
//! - the database opens and passes `PRAGMA integrity_check`;
//! - every report the child saw `finalize` return for is queued, with its outbox entry;
//! - nothing half-written is visible: each queued report has exactly one outbox entry whose
//!   record matches the report's rows, no draft has one, and every photo row's files exist
//!   and hash to the recorded SHA-256;
//! - no outbox entry is duplicated and mutation numbers only grow.
//!
//! The child is this same test binary, re-run with `GRIDWALK_CRASH_CHILD` set, so that it
//! is exactly the engine under test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use gridwalk_field::DraftPatch;
use gridwalk_protocol::{Crs, Kind, Location, LocationProvider, MutationBody, PhotoStage};
use rand::Rng;
use sha2::{Digest, Sha256};

const KILLS: usize = 200;
const CHILD_ENV: &str = "GRIDWALK_CRASH_CHILD";

/// The child's work loop; returns at once in a normal test run.
#[test]
fn crash_child_process() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let engine = common::engine_at(std::path::Path::new(&dir));
    let photos = ["orient-1.jpg", "orient-6.jpg", "no-exif.jpg"];
    let mut out = std::io::stdout().lock();
    for i in 0usize.. {
        let d = engine.create_draft().unwrap();
        for (n, p) in photos.iter().enumerate().take(1 + i % 3) {
            let stage = if n == 2 {
                PhotoStage::After
            } else {
                PhotoStage::Before
            };
            engine.add_photo(d.id, &common::photo(p), stage).unwrap();
        }
        engine
            .set_location(
                d.id,
                Location {
                    lon: 113.0631,
                    lat: 22.5983,
                    crs: Crs::Wgs84,
                    accuracy_m: 5.0,
                    fix_time: Utc::now(),
                    provider: LocationProvider::Gps,
                },
            )
            .unwrap();
        engine
            .update_draft(
                d.id,
                &DraftPatch {
                    kind: Some(Kind::Event),
                    category: Some("0507".parse().unwrap()),
                    description: Some(format!("第{i}次")),
                    ..DraftPatch::default()
                },
            )
            .unwrap();
        if i % 5 == 4 {
            engine.delete_draft(d.id).unwrap();
            continue;
        }
        let f = engine.finalize(d.id).unwrap();
        writeln!(out, "FINALIZED {} {}", f.report.id, f.mutation_id).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    // report id -> mutation id, as printed by children after finalize returned
    let mut confirmed: BTreeMap<String, i64> = BTreeMap::new();
    let mut max_mutation = 0i64;

    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(5..600)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child must die by the signal, not finish"
        );
        for line in reader.join().unwrap() {
            // libtest may print its "test … ..." banner on the same line as the first record.
            if let Some((_, rest)) = line.split_once("FINALIZED ") {
                let (id, m) = rest.split_once(' ').unwrap();
                assert!(
                    confirmed
                        .insert(id.to_owned(), m.parse().unwrap())
                        .is_none(),
                    "finalized twice: {id}"
                );
            }
        }
        max_mutation = verify(dir.path(), &confirmed, max_mutation, round);
    }
    assert!(
        confirmed.len() >= KILLS / 4,
        "the children finalized too little to prove anything: {}",
        confirmed.len()
    );
}

/// Reopens the directory and checks every invariant; returns the highest mutation number.
fn verify(
    dir: &std::path::Path,
    confirmed: &BTreeMap<String, i64>,
    prev_max: i64,
    round: usize,
) -> i64 {
    // Opening through the engine runs migrations checks and the orphan-file sweep.
    let engine = common::engine_at(dir);
    let db = rusqlite::Connection::open(dir.join("field.db")).unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "round {round}");

    let queued: HashSet<String> = strings(&db, "SELECT id FROM reports WHERE state = 'queued'");
    let outbox: Vec<(i64, String, String)> = db
        .prepare("SELECT mutation_id, report_id, body FROM outbox ORDER BY mutation_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let outbox_reports: Vec<&String> = outbox.iter().map(|(_, r, _)| r).collect();
    let distinct: HashSet<&String> = outbox_reports.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        outbox.len(),
        "round {round}: an outbox entry is duplicated"
    );
    assert_eq!(
        distinct,
        queued.iter().collect(),
        "round {round}: queued reports and outbox entries disagree"
    );

    for (id, m) in confirmed {
        let entry = outbox.iter().find(|(_, r, _)| r == id);
        assert_eq!(
            entry.map(|e| e.0),
            Some(*m),
            "round {round}: finalized report {id} lost or renumbered"
        );
    }
    for (m, id, body) in &outbox {
        let body: MutationBody = serde_json::from_str(body).unwrap();
        let MutationBody::SubmitReport { report } = body;
        assert_eq!(report.id.to_string(), *id);
        let local = engine.report(report.id).unwrap();
        assert_eq!(
            local.photos.len(),
            report.photos.len(),
            "round {round}: mutation {m} half-written"
        );
        assert_eq!(
            local.to_report(engine.device_id()).unwrap(),
            *report,
            "round {round}: mutation {m}"
        );
    }
    let max = outbox.last().map_or(0, |e| e.0);
    assert!(
        max >= prev_max,
        "round {round}: mutation numbers went backwards"
    );

    let photos: Vec<(String, String)> = db
        .prepare("SELECT sha256, COALESCE(original, '') FROM photos")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (sha, original) in photos {
        let path = dir
            .join("photos")
            .join(&sha[..2])
            .join(format!("{sha}.jpg"));
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("round {round}: {}: {e}", path.display()));
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            got, sha,
            "round {round}: derivative file is not what the row says"
        );
        assert!(
            dir.join("thumbs")
                .join(&sha[..2])
                .join(format!("{sha}.jpg"))
                .exists()
        );
        if !original.is_empty() {
            assert!(
                dir.join("originals")
                    .join(format!("{original}.jpg"))
                    .exists()
            );
        }
    }
    assert_eq!(
        std::fs::read_dir(dir.join("tmp")).unwrap().count(),
        0,
        "round {round}: tmp not swept"
    );
    max
}

fn strings(db: &rusqlite::Connection, sql: &str) -> HashSet<String> {
    db.prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}
