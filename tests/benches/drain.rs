//! Backlog drain over a poor link: a tablet that captured 40 reports with 120 photos
//! (~300 KB each) offline syncs through `gridwalk-netem` set to 1 Mbit/s up, 200 ms round
//! trip, and a 2 % chance of the connection breaking in every 300 KB it carries (one photo's
//! worth: as if 2 % of per-photo connections were cut), at a random point. The reference is the link itself: the
//! bytes that had to cross it (records and photos) divided by its bandwidth. Target: the
//! drain takes at most 1.15 × that.
//!
//! The engine drives it as the app will: `sync_until_done` with the default retry policy
//! (full-jitter backoff from 1 s), resuming cut uploads from the server's offset.
//!
//! Run: `cargo bench -p gridwalk-system-tests --bench drain` (about five minutes).
//! `GRIDWALK_BENCH_REPORTS`, `…_MBIT` and `…_CUT_PERCENT` change the set-up.
//! `GRIDWALK_BENCH_QUICK=1` drains 2 reports over an 8 Mbit/s link that cuts often (20 %),
//! so cuts and resumed uploads still happen, in seconds: the test command runs it that way
//! so the bench cannot silently break; its figures mean nothing.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use gridwalk_field::sync::RetryPolicy;
use gridwalk_netem::{Profile, Proxy, mbits_to_bytes};
use gridwalk_system_tests::*;
use image::{ImageBuffer, Rgb};
use rand::{Rng, SeedableRng};

/// A camera-like photo whose derivative is about 300 KB: smooth shading plus sensor-like
/// noise, different for every seed.
fn photo(path: &std::path::Path, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (w, h) = (1280u32, 960u32);
    let img = ImageBuffer::from_fn(w, h, |x, y| {
        let base = |v: u32, span: u32| (v * 200 / span) as i32;
        let n: i32 = rng.random_range(-24..24);
        let c = |v: i32| v.clamp(0, 255) as u8;
        Rgb([
            c(base(x, w) + n),
            c(base(y, h) + n),
            c(120 + n + (seed % 50) as i32),
        ])
    });
    img.save_with_format(path, image::ImageFormat::Jpeg)
        .unwrap();
}

fn main() {
    let reports: usize = bench_setting("GRIDWALK_BENCH_REPORTS", 40, 2);
    let mbit = bench_setting("GRIDWALK_BENCH_MBIT", 1.0, 8.0);
    let cut = bench_setting("GRIDWALK_BENCH_CUT_PERCENT", 2.0, 20.0) / 100.0;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = server(Backend::Sqlite).await;
        let dir = tempfile::tempdir().unwrap();
        let sources = tempfile::tempdir().unwrap();
        let engine = signed_in_engine(dir.path());
        for r in 0..reports {
            let photos: Vec<_> = (0..3)
                .map(|i| {
                    let p = sources.path().join(format!("{r}-{i}.jpg"));
                    photo(&p, (r * 3 + i) as u64);
                    p
                })
                .collect();
            capture(&engine, &photos, RUBBISH);
        }
        let q = engine.queue_summary().unwrap();
        let token = enroll(&s, &engine).await;
        let upstream = s.url.trim_start_matches("http://").parse().unwrap();
        // A kept-alive connection carries many photos: it meets a 2 % chance of breaking
        // in every 300 KB it carries, as if each photo's request had its own connection.
        let link = Profile::mobile(mbit, Duration::from_millis(200), cut, 300_000);
        let proxy = Proxy::start(upstream, link).await.unwrap();
        let client = connect(&engine, &proxy.url(), &token);

        let started = Instant::now();
        let done = engine
            .sync_until_done(&client, "bench", RetryPolicy::default(), None)
            .await
            .unwrap();
        let took = started.elapsed();

        let rate = mbits_to_bytes(mbit) as f64;
        let ideal = q.pending_bytes as f64 / rate;
        let stats = proxy.stats();
        let up = stats.up_bytes.load(Ordering::Relaxed);
        println!(
            "drain: {} reports + {} photos, {:.1} MB queued, over {mbit} Mbit/s up, 200 ms RTT, \
             {:.0}% chance of a cut per 300 KB",
            q.pending_reports,
            q.pending_photos,
            q.pending_bytes as f64 / 1e6,
            cut * 100.0
        );
        println!(
            "took {:.1} s; bytes ÷ bandwidth = {:.1} s; ratio {:.3}; {} connections, {} cut; \
             {:.1} MB went up ({:.3}× the queue)",
            took.as_secs_f64(),
            ideal,
            took.as_secs_f64() / ideal,
            stats.connections.load(Ordering::Relaxed),
            stats.cuts.load(Ordering::Relaxed),
            up as f64 / 1e6,
            up as f64 / q.pending_bytes as f64,
        );
        assert_eq!(done.sent, reports);
        assert_eq!(engine.queue_summary().unwrap().pending_photos, 0);
        assert_eq!(s.store.report_count().await.unwrap(), reports as u64);
        s.finish().await;
    });
}
