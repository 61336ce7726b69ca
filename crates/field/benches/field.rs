//! Side-by-side benchmarks for the field engine, each against a reference measured in the
//! same run on the same machine, so the ratio is meaningful on a shared, noisy host.
//!
//! 1. Photo pipeline on a 12 MP (the 4000×3000 fixture) and a 9 MP (3456×2592, made from
//!    it) camera JPEG vs `vipsthumbnail` (libvips) making the same 2048×1536 derivative from
//!    the same file. Time measured twice: as commands (our `gridwalk-field photo inspect` vs
//!    `vipsthumbnail`, both paying process start-up), and in-process (`photo::process` +
//!    writing the two files) vs the `vipsthumbnail` command. Runs alternate so drift on the
//!    host hits both sides alike; medians are compared. Peak memory of both commands by GNU
//!    time. The derivative's PSNR and SSIM against the one a full-size decode gives (the
//!    pipeline before it decoded at a reduced DCT scale) show what the shortcut costs.
//! 2. Finalize (a report with 3 photo references) vs raw SQLite inserts of the same rows
//!    (report, 3 photos, outbox entry) in one transaction each, both with WAL +
//!    `synchronous = FULL`, so every call is durable when it returns.
//!
//! Run: `cargo bench -p gridwalk-field --bench field` (needs `vipsthumbnail` from
//! Debian's libvips-tools and `/usr/bin/time` from Debian's time). Set
//! `GRIDWALK_BENCH_RUNS` / `GRIDWALK_BENCH_RSS_RUNS` / `GRIDWALK_BENCH_REPORTS` to change
//! the sample sizes. `GRIDWALK_BENCH_QUICK=1` runs every part with tiny samples (a few
//! seconds): the test command runs it that way so the bench cannot silently break; its
//! figures mean nothing.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use gridwalk_field::photo::{self, CHINA_STANDARD_TIME, PhotoOptions};
use gridwalk_protocol::{PhotoId, PhotoStage, ReportId};
use rusqlite::{Transaction, params};

/// A sample size: from the environment if set, else the full or the quick default.
fn env_usize(name: &str, full: usize, quick: usize) -> usize {
    let default = if std::env::var("GRIDWALK_BENCH_QUICK").is_ok_and(|v| v == "1") {
        quick
    } else {
        full
    };
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn run(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (is libvips-tools installed?)"));
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

/// Peak resident memory of a command in MiB, from GNU time (`%M`: the child's `ru_maxrss`
/// as `wait4` reports it); the median of `runs`.
fn peak_mib(program: &std::ffi::OsStr, args: &[&std::ffi::OsStr], runs: usize) -> f64 {
    let kib: Vec<u64> = (0..runs)
        .map(|_| {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%M"])
                .arg(program)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("/usr/bin/time: {e} (is Debian's time installed?)"));
            assert!(out.status.success(), "{program:?} failed");
            let stderr = String::from_utf8_lossy(&out.stderr);
            stderr.lines().last().unwrap().trim().parse().unwrap()
        })
        .collect();
    let mut kib = kib;
    kib.sort_unstable();
    kib[kib.len() / 2] as f64 / 1024.0
}

/// A 9 MP photo (3456×2592) of the same texture and noise as the 12 MP fixture: its middle,
/// re-encoded at quality 92 with 4:2:0 chroma, as a phone's 9 MP mode writes.
fn nine_megapixels(work: &Path) -> std::path::PathBuf {
    let full = image::open(common::photo("street-4000x3000.jpg"))
        .unwrap()
        .to_rgb8();
    let (w, h) = (3456u32, 2592u32);
    let crop = image::imageops::crop_imm(&full, (4000 - w) / 2, (3000 - h) / 2, w, h).to_image();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 92);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(
        crop.as_raw(),
        u16::try_from(w).unwrap(),
        u16::try_from(h).unwrap(),
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    let path = work.join("street-3456x2592.jpg");
    std::fs::write(&path, out).unwrap();
    path
}

fn photo_bench(work: &Path) {
    let runs = env_usize("GRIDWALK_BENCH_RUNS", 21, 1).max(1);
    let rss_runs = env_usize("GRIDWALK_BENCH_RSS_RUNS", 5, 1).max(1);
    println!(
        "## Photo pipeline vs vipsthumbnail: {runs} alternating timed runs each, peak memory the median of {rss_runs}\n"
    );
    for file in [common::photo("street-4000x3000.jpg"), nine_megapixels(work)] {
        photo_case(work, &file, runs, rss_runs);
    }
}

fn photo_case(work: &Path, file: &Path, runs: usize, rss_runs: usize) {
    let bytes = std::fs::read(file).unwrap();
    let opts = PhotoOptions::default();
    let p = photo::process(&bytes, &opts, CHINA_STANDARD_TIME).unwrap();
    let size = format!("{}x{}", p.width, p.height);
    let vips_file = work.join("vips.jpg");
    let vips_out = format!("{}[Q={},strip]", vips_file.display(), opts.quality);
    let vips_args = [
        file.as_os_str(),
        "--size".as_ref(),
        size.as_ref(),
        "-o".as_ref(),
        vips_out.as_ref(),
    ];
    let ours = Path::new(env!("CARGO_BIN_EXE_gridwalk-field"));
    let ours_args = ["photo".as_ref(), "inspect".as_ref(), file.as_os_str()];
    let vips = || run(Command::new("vipsthumbnail").args(vips_args));
    let ours_cmd = || run(Command::new(ours).args(ours_args));
    let ours_in_process = || {
        let t = Instant::now();
        let bytes = std::fs::read(file).unwrap();
        let p = photo::process(&bytes, &opts, CHINA_STANDARD_TIME).unwrap();
        std::fs::write(work.join("derivative.jpg"), &p.derivative).unwrap();
        std::fs::write(work.join("thumb.jpg"), &p.thumbnail).unwrap();
        t.elapsed()
    };
    // Warm the page cache and both binaries.
    vips();
    ours_cmd();
    ours_in_process();
    let (mut v, mut c, mut i) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        v.push(vips());
        c.push(ours_cmd());
        i.push(ours_in_process());
    }
    let (v, c, i) = (median(v), median(c), median(i));
    let (vips_mib, ours_mib) = (
        peak_mib("vipsthumbnail".as_ref(), &vips_args, rss_runs),
        peak_mib(ours.as_os_str(), &ours_args, rss_runs),
    );

    // Against the derivative of a full-size decode (the pipeline before DCT scaling).
    let decoded = |jpeg: &[u8]| image::load_from_memory(jpeg).unwrap().to_rgb8();
    let reference = decoded(&common::quality::full_decode_derivative(
        &bytes,
        (p.width, p.height),
        opts.quality,
    ));
    let new = decoded(&p.derivative);
    let vips_img = decoded(&std::fs::read(&vips_file).unwrap());
    let (src_w, src_h) = (p.source_width, p.source_height);
    let scale = photo::dct_scale((src_w, src_h), (p.width, p.height));
    println!(
        "### {} ({src_w}×{src_h}, {} bytes) → {size}; decoded at DCT scale {scale}/8 ({}×{})\n",
        file.file_name().unwrap().to_string_lossy(),
        bytes.len(),
        (u64::from(src_w) * u64::from(scale)).div_ceil(8),
        (u64::from(src_h) * u64::from(scale)).div_ceil(8),
    );
    println!("| what | median ms | ratio | peak RSS MiB | ratio |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| `vipsthumbnail --size {size}` (reference) | {:.1} | 1.00 | {vips_mib:.1} | 1.00 |",
        ms(v)
    );
    println!(
        "| `gridwalk-field photo inspect` (command) | {:.1} | **{:.2}** | {ours_mib:.1} | **{:.2}** |",
        ms(c),
        ms(c) / ms(v),
        ours_mib / vips_mib
    );
    println!(
        "| `photo::process` + write files (in-process) | {:.1} | {:.2} | | |",
        ms(i),
        ms(i) / ms(v)
    );
    println!();
    println!(
        "Derivative vs the full-size-decode derivative: PSNR {:.1} dB, SSIM {:.4} (vipsthumbnail's vs the same: PSNR {:.1} dB, SSIM {:.4}).\n",
        common::quality::psnr(&new, &reference),
        common::quality::ssim(&new, &reference),
        common::quality::psnr(&vips_img, &reference),
        common::quality::ssim(&vips_img, &reference),
    );
}

fn finalize_bench(work: &Path) {
    let n = env_usize("GRIDWALK_BENCH_REPORTS", 2000, 20).max(1);
    let dir = work.join("engine");
    let engine = common::engine_at(&dir);
    let reporter = common::inspector().id.to_string();

    // One real draft with 3 photos through the pipeline; its rows are then cloned n times
    // (new IDs) so setting up thousands of drafts does not take minutes of JPEG work.
    let template = engine.create_draft().unwrap();
    for name in ["orient-1.jpg", "orient-2.jpg", "orient-3.jpg"] {
        engine
            .add_photo(
                template.id,
                &common::fixtures().join("photos").join(name),
                PhotoStage::Before,
            )
            .unwrap();
    }
    common::ready_draft(&engine, template.id, Some("人行道堆放建材".into()));
    let ids = clone_drafts(&dir.join("field.db"), template.id, n);

    let t = Instant::now();
    let finalized: Vec<_> = ids.iter().map(|id| engine.finalize(*id).unwrap()).collect();
    let finalize = t.elapsed();
    let payloads: Vec<String> = finalized
        .iter()
        .map(|f| serde_json::to_string(&f.report).unwrap())
        .collect();
    drop(engine);

    // The reference: the same rows inserted with plain SQL into the same schema.
    let raw_dir = work.join("raw");
    std::fs::create_dir_all(&raw_dir).unwrap();
    let mut raw = gridwalk_field::db::open(&raw_dir.join("raw.db")).unwrap();
    let now = Utc::now();
    let t = Instant::now();
    for (i, payload) in payloads.iter().enumerate() {
        let tx = raw.transaction().unwrap();
        let id = ReportId::new().to_string();
        tx.execute(
            "INSERT INTO reports (id, state, reporter, kind, category, code_table_version, location, observed_at, created_at, updated_at, finalized_at, version)
             VALUES (?1, 'queued', ?2, 'event', '0507', 'v', '{}', ?3, ?3, ?3, ?3, 1)",
            params![id, reporter, now],
        )
        .unwrap();
        for pos in 0..3 {
            tx.execute(
                "INSERT INTO photos (id, report_id, position, stage, sha256, bytes, width, height, thumb_bytes, exif, created_at)
                 VALUES (?1, ?2, ?3, 'before', ?4, 17000, 1024, 768, 4000, '{}', ?5)",
                params![PhotoId::new().to_string(), id, pos, format!("{i:064}"), now],
            )
            .unwrap();
        }
        tx.execute(
            "INSERT INTO outbox (report_id, report_version, priority, body, created_at) VALUES (?1, 1, 0, ?2, ?3)",
            params![id, payload, now],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let raw_t = t.elapsed();
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!("## Finalize: {n} reports with 3 photo references each, WAL + synchronous=FULL");
    println!("| what | reports/s | ratio to raw inserts |");
    println!("|---|---:|---:|");
    println!(
        "| raw SQLite inserts of the same rows (reference) | {:.0} | 1.00 |",
        rate(raw_t)
    );
    println!(
        "| `Engine::finalize` | {:.0} | {:.2} |",
        rate(finalize),
        rate(finalize) / rate(raw_t)
    );
    println!();
}

/// Copies a draft (report and photo rows) `n` times under new IDs, in one transaction.
fn clone_drafts(db: &Path, template: ReportId, n: usize) -> Vec<ReportId> {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    let photo_ids: Vec<String> = tx
        .prepare("SELECT id FROM photos WHERE report_id = ?1 ORDER BY position")
        .unwrap()
        .query_map([template.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let copy_report = copy_row(&tx, "reports", &["id"]);
    // The copies share the template's photo files (named by SHA-256), not its camera
    // originals (named by photo ID, one per photo row).
    let copy_photo = copy_row(&tx, "photos", &["id", "report_id", "original"]);
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let id = ReportId::new();
        tx.execute(&copy_report, params![template.to_string(), id.to_string()])
            .unwrap();
        for p in &photo_ids {
            tx.execute(
                &copy_photo,
                params![
                    p,
                    PhotoId::new().to_string(),
                    id.to_string(),
                    None::<String>
                ],
            )
            .unwrap();
        }
        ids.push(id);
    }
    tx.commit().unwrap();
    ids
}

/// An `INSERT … SELECT` that copies the row of `table` whose id is `?1`, taking the
/// columns in `set` from `?2`, `?3`, … instead. It names every column the table has now,
/// so a migration that adds a column does not break the copy.
fn copy_row(tx: &Transaction<'_>, table: &str, set: &[&str]) -> String {
    let columns: Vec<String> = tx
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .unwrap()
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for c in set {
        assert!(columns.iter().any(|x| x == c), "{table} has no column {c}");
    }
    let values: Vec<String> = columns
        .iter()
        .map(|c| match set.iter().position(|s| s == c) {
            Some(i) => format!("?{}", i + 2),
            None => c.clone(),
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE id = ?1",
        columns.join(", "),
        values.join(", ")
    )
}

fn main() {
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    println!(
        "# gridwalk-field benchmarks — {} on {} cores\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    photo_bench(work.path());
    finalize_bench(work.path());
}
