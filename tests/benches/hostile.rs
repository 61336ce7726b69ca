//! What one hostile tablet costs everyone else, measured side by side in one run.
//!
//! The reference is the quiet centre: 20 honest devices push 20 reports each, all at once,
//! over loopback to a real server (real HTTP, the engine's own sync client), and the time
//! until every push is answered is taken. Then the same, while one enrolled tablet sends its
//! worst allowed push over and over: 100 edits of one report, each based on a version it
//! has since edited 32 times itself — so each edit replays the most the centre replays
//! before refusing. The ratio is honest intake under attack to honest intake when quiet;
//! before the limits (main at 277c0b8) one push of 9,500 edits held the whole centre for
//! ~294 s. Once on embedded SQLite (one writer: the worst case), once on PostgreSQL.
//!
//! Run: `cargo bench -p gridwalk-system-tests --bench hostile`. `GRIDWALK_BENCH_DEVICES`
//! and `…_REPORTS` change the honest load, `…_ROUNDS` how many times each is measured.
//! `GRIDWALK_BENCH_QUICK=1` runs every part with tiny sizes (seconds): the test command
//! runs it that way so the bench cannot silently break; its figures mean nothing.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gridwalk_field::sync::{SyncClient, SyncSettings};
use gridwalk_protocol::validate::MAX_MUTATIONS_PER_PUSH;
use gridwalk_protocol::{
    Mutation, MutationBody, Outcome, PushRequest, Report, ReportId, ReportPatch,
};
use gridwalk_system_tests::*;

fn client(s: &Server, token: &str) -> SyncClient {
    SyncClient::new(&SyncSettings {
        server_url: s.url.clone(),
        token: token.to_owned(),
        transport: gridwalk_field::sync::Transport::default(),
    })
    .unwrap()
}

/// A push of `bodies` numbered from `first`, signed by `tablet` as a device signs them.
fn push(tablet: &Tablet, first: u64, bodies: Vec<MutationBody>) -> PushRequest {
    let mutations = bodies
        .into_iter()
        .zip(first..)
        .map(|(body, id)| Mutation {
            id,
            device: tablet.id,
            created_at: chrono::Utc::now(),
            body,
            signature: None,
        })
        .collect();
    PushRequest {
        app_version: "bench".into(),
        device_model: None,
        ..push_of(tablet, mutations)
    }
}

fn edit(report: ReportId, n: u64) -> MutationBody {
    MutationBody::EditReport {
        report,
        base_version: 1,
        patch: Box::new(ReportPatch {
            description: Some(format!("第 {n} 次修改")),
            ..ReportPatch::default()
        }),
    }
}

/// Enrolls `devices` honest devices, each with `reports` new reports to push.
async fn honest(
    s: &Server,
    template: &Report,
    devices: usize,
    reports: usize,
) -> Vec<(SyncClient, PushRequest)> {
    let mut out = Vec::new();
    for _ in 0..devices {
        let tablet = Tablet::new();
        let device = tablet.id;
        let token =
            gridwalk_sync::services::admin::enroll_device(s.store.as_ref(), INSPECTOR, device)
                .await
                .unwrap();
        let bodies = (0..reports)
            .map(|_| {
                let mut r = template.clone();
                r.id = ReportId::new();
                r.device = device;
                r.photos.clear();
                MutationBody::SubmitReport {
                    report: Box::new(r),
                }
            })
            .collect();
        out.push((client(s, &token), push(&tablet, 1, bodies)));
    }
    out
}

/// Every honest push at once; the time until all are answered.
async fn honest_intake(loads: Vec<(SyncClient, PushRequest)>) -> Duration {
    let started = Instant::now();
    let pushes: Vec<_> = loads
        .into_iter()
        .map(|(c, req)| tokio::spawn(async move { c.push(&req).await.unwrap() }))
        .collect();
    for p in pushes {
        let resp = p.await.unwrap();
        assert!(resp.results.iter().all(|r| r.outcome == Outcome::Applied));
    }
    started.elapsed()
}

/// Sets up the hostile tablet: one report, edited 32 times on version 1 (the most the
/// centre replays), so every further edit on version 1 replays all of them.
async fn attacker(s: &Server, template: &Report) -> (SyncClient, Arc<Tablet>, ReportId) {
    let tablet = Arc::new(Tablet::new());
    let device = tablet.id;
    let token = gridwalk_sync::services::admin::enroll_device(s.store.as_ref(), INSPECTOR, device)
        .await
        .unwrap();
    let c = client(s, &token);
    let mut r = template.clone();
    r.id = ReportId::new();
    r.device = device;
    r.photos.clear();
    let report = r.id;
    c.push(&push(
        &tablet,
        1,
        vec![MutationBody::SubmitReport {
            report: Box::new(r),
        }],
    ))
    .await
    .unwrap();
    let edits = (0..32).map(|n| edit(report, n)).collect();
    let resp = c.push(&push(&tablet, 2, edits)).await.unwrap();
    assert!(
        resp.results
            .iter()
            .all(|r| !matches!(r.outcome, Outcome::Rejected { .. }))
    );
    (c, tablet, report)
}

async fn measure(
    backend: Backend,
    template: &Report,
    devices: usize,
    reports: usize,
) -> (Duration, Duration, (u64, u64), Duration) {
    let s = server(backend).await;
    let quiet = honest_intake(honest(&s, template, devices, reports).await).await;

    let (c, tablet, report) = attacker(&s, template).await;
    // One worst push alone, for scale.
    let n = MAX_MUTATIONS_PER_PUSH as u64;
    let started = Instant::now();
    c.push(&push(
        &tablet,
        34,
        (34..34 + n).map(|i| edit(report, i)).collect(),
    ))
    .await
    .unwrap();
    let worst = started.elapsed();
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let hammer = {
        let (stop, sent, refused) = (Arc::clone(&stop), Arc::clone(&sent), Arc::clone(&refused));
        tokio::spawn(async move {
            let mut next = 34 + MAX_MUTATIONS_PER_PUSH as u64;
            while !stop.load(Ordering::Relaxed) {
                let n = MAX_MUTATIONS_PER_PUSH as u64;
                let bodies = (next..next + n).map(|i| edit(report, i)).collect();
                match c.push(&push(&tablet, next, bodies)).await {
                    Ok(resp) => {
                        assert_eq!(resp.last_applied, next + n - 1);
                        next += n;
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    // Told to slow down (429): it does not listen, it only pauses long
                    // enough not to take this machine's cores from the server.
                    Err(e) if e.is_retryable() => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        })
    };
    // Let the attack get going before the honest devices start.
    while sent.load(Ordering::Relaxed) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let attacked = honest_intake(honest(&s, template, devices, reports).await).await;
    stop.store(true, Ordering::Relaxed);
    hammer.await.unwrap();
    let pushes = (
        sent.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    );
    s.finish().await;
    (quiet, attacked, pushes, worst)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let devices = bench_setting("GRIDWALK_BENCH_DEVICES", 20, 2);
    let reports = bench_setting("GRIDWALK_BENCH_REPORTS", 20, 2);
    let rounds = bench_setting("GRIDWALK_BENCH_ROUNDS", 5, 1);
    let template = {
        let dir = tempfile::tempdir().unwrap();
        let engine = device_with_reports(dir.path(), 1);
        engine.push_request("bench").unwrap().mutations[0]
            .body
            .submitted()
            .unwrap()
            .clone()
    };
    println!(
        "hostile: {devices} honest devices × {reports} reports pushed at once, quiet and while \
         one tablet sends 100-edit pushes that each replay the most allowed; {rounds} rounds"
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (mut ratios, mut quiet_ms, mut attacked_ms, mut worst_ms) =
            (vec![], vec![], vec![], vec![]);
        let (mut hostile, mut slowed) = (0, 0);
        for _ in 0..rounds {
            let (quiet, attacked, pushes, worst) =
                measure(backend, &template, devices, reports).await;
            worst_ms.push(worst.as_secs_f64() * 1e3);
            quiet_ms.push(quiet.as_secs_f64() * 1e3);
            attacked_ms.push(attacked.as_secs_f64() * 1e3);
            ratios.push(quiet.as_secs_f64() / attacked.as_secs_f64());
            hostile += pushes.0;
            slowed += pushes.1;
        }
        println!(
            "{backend:?}: honest intake quiet {:.0} ms, under attack {:.0} ms (medians); \
             {:.2}× the quiet rate (median of {rounds}; min {:.2}); {hostile} hostile pushes \
             answered, {slowed} told to slow down; one worst push alone {:.0} ms",
            median(quiet_ms),
            median(attacked_ms),
            median(ratios.clone()),
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            median(worst_ms),
        );
    }
}
