//! Crash safety: a child process captures and finalizes reports in a loop and is killed
//! with SIGKILL at a random instant, 200 times over the same data directory. After every
//! kill the parent reopens the directory and checks that:
//! - the database opens and passes `PRAGMA integrity_check`;
//! - every report the child saw `finalize` return for is queued, with its outbox entry under
//!   the mutation number `finalize` returned;
//! - nothing half-written is visible: each queued report has exactly one outbox entry whose
//!   record matches the report's rows, no draft has one, and every photo row's files exist
//!   and hash to the recorded SHA-256;
//! - no outbox entry is duplicated.
//!
//! The child is this same test binary, re-run with `GRIDWALK_CRASH_CHILD` set, so that it
//! is exactly the engine under test. Half its reports carry no photo, so that a good share
//! of kills land inside `finalize` itself; the others carry a freshly generated photo (new
//! content, so new files) besides fixture ones, and some drafts are deleted, so kills also
//! land between a file and its row.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use gridwalk_protocol::{MutationBody, PhotoStage};
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
    let dir = PathBuf::from(dir);
    let sources = dir.with_extension("sources");
    std::fs::create_dir_all(&sources).unwrap();
    let engine = common::engine_at(&dir);
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY").unwrap();
    out.flush().unwrap();
    let seed: u32 = rand::rng().random();
    for i in 0u32.. {
        let d = engine.create_draft().unwrap();
        if i % 2 == 1 {
            let fresh = sources.join(format!("{seed}-{i}.jpg"));
            image::RgbImage::from_fn(320, 240, |x, y| {
                image::Rgb([(seed ^ i) as u8, x as u8, (y as u8).wrapping_add(i as u8)])
            })
            .save(&fresh)
            .unwrap();
            engine.add_photo(d.id, &fresh, PhotoStage::Before).unwrap();
            if i % 3 == 0 {
                engine
                    .add_photo(d.id, &common::photo("orient-6.jpg"), PhotoStage::After)
                    .unwrap();
            }
        }
        common::ready_draft(&engine, d.id, Some(format!("第{i}次")));
        if i % 7 == 6 {
            engine.delete_draft(d.id).unwrap();
            continue;
        }
        writeln!(out, "FINALIZING {}", d.id).unwrap();
        out.flush().unwrap();
        let f = engine.finalize(d.id).unwrap();
        writeln!(out, "FINALIZED {} {}", f.report.id, f.mutation_id).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    // report id -> mutation id, as printed by children after finalize returned
    let mut confirmed: BTreeMap<String, i64> = BTreeMap::new();
    let mut killed_in_finalize = 0;

    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may print its "test … ..." banner on the same line as a record.
                for word in ["READY", "FINALIZING ", "FINALIZED "] {
                    if let Some((_, rest)) = line.split_once(word) {
                        let _ = tx.send((word.trim(), rest.to_owned()));
                    }
                }
            }
        });
        // Time the kill from the moment the engine is open, not from process start.
        let ready = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(ready.0, "READY", "round {round}");
        std::thread::sleep(Duration::from_millis(rng.random_range(0..250)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child must die by the signal"
        );
        reader.join().unwrap();
        let mut last = None;
        for (word, rest) in rx.try_iter() {
            if word == "FINALIZED" {
                let (id, m) = rest.split_once(' ').unwrap();
                assert!(
                    confirmed
                        .insert(id.to_owned(), m.parse().unwrap())
                        .is_none(),
                    "finalized twice: {id}"
                );
            }
            last = Some(word);
        }
        if last == Some("FINALIZING") {
            killed_in_finalize += 1;
        }
        verify(&data, &confirmed, round);
    }
    eprintln!(
        "{} reports finalized; {killed_in_finalize} of {KILLS} kills landed between \
         FINALIZING and FINALIZED",
        confirmed.len()
    );
    assert!(
        confirmed.len() >= KILLS,
        "the children finalized too little to prove anything: {}",
        confirmed.len()
    );
    assert!(
        killed_in_finalize > 0,
        "no kill landed during finalize; the test proves too little"
    );
}

/// Reopens the directory and checks every invariant.
fn verify(dir: &Path, confirmed: &BTreeMap<String, i64>, round: usize) {
    // Opening through the engine runs the migration check and the orphan-file sweep.
    let engine = common::engine_at(dir);
    let db = rusqlite::Connection::open(dir.join("field.db")).unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "round {round}");

    let queued: HashSet<String> = db
        .prepare("SELECT id FROM reports WHERE state = 'queued'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let outbox: Vec<(i64, String, String)> = db
        .prepare("SELECT mutation_id, report_id, body FROM outbox ORDER BY mutation_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let distinct: HashSet<&String> = outbox.iter().map(|(_, r, _)| r).collect();
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
        let report = body.submitted().unwrap();
        assert_eq!(report.id.to_string(), *id);
        let local = engine.report(report.id).unwrap();
        assert_eq!(
            local.to_report(engine.device_id()).unwrap(),
            report.clone(),
            "round {round}: mutation {m} does not match the stored report"
        );
    }

    let photos: Vec<(String, Option<String>)> = db
        .prepare("SELECT sha256, original FROM photos")
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
        let thumb = dir
            .join("thumbs")
            .join(&sha[..2])
            .join(format!("{sha}.jpg"));
        assert!(thumb.exists(), "round {round}: {}", thumb.display());
        if let Some(original) = original {
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
}
