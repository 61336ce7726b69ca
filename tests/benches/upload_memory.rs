//! The centre's memory while photos upload, against the bytes in flight (issue 13, A9).
//!
//! The real `gridwalk-sync` binary runs as its own process (so its RSS is its own: the
//! embedded SQLite case store and photos on local disk, set up with its own `admin`
//! commands), and N tablets — each enrolled for the fixtures' inspector — push one report
//! each with one photo of S bytes, open one tus upload each, and then send every photo whole,
//! in one `PATCH` each, all N at once. The photos are real JPEGs of the declared size (the
//! centre checks each one as it arrives): `fixtures/photos/orient-1.jpg` with comment (COM)
//! segments added after its image data, before its end-of-image marker, until it is S bytes
//! long, each tablet's a little different so no two share a SHA-256.
//!
//! The server's `VmRSS` (from `/proc/<pid>/status`) is read just before the PATCHes
//! (baseline) and every ~5 ms until all of them are answered (peak); the kernel's own high
//! water mark (`VmHWM`, reset through `/proc/<pid>/clear_refs` just before) is printed beside
//! it as a check on the sampling. The reference, side by side, is the bytes in flight, N×S:
//! what holding each body whole would cost. Before bodies were streamed to the blob store,
//! 12 such PATCHes of 30 MiB took the centre from 77 to 385 MiB, about 0.85× N×S (twice the
//! photo at completion, each upload's peak not all at once). The figure is growth ÷ (N×S),
//! the median of the rounds; a streaming centre's growth should be a few pieces per upload,
//! whatever S is. Every round starts a fresh centre; after it, every upload's offset must be
//! its length and every photo must be on disk under its SHA-256.
//!
//! The server is the debug build the system tests run (`gridwalk_system_tests::binary`),
//! with `sha2` optimised as the workspace's dev profile says; what it holds does not depend
//! on the optimisation level, only how fast it gets through the bytes.
//!
//! Run: `cargo bench -p gridwalk-system-tests --bench upload_memory`.
//! `GRIDWALK_BENCH_UPLOADS` (N, 12) and `GRIDWALK_BENCH_PHOTO_MIB` (S, 30) change the load,
//! `GRIDWALK_BENCH_ROUNDS` (3) how many times it is measured. `GRIDWALK_BENCH_QUICK=1` runs
//! it with 2 photos of 2 MiB, once (seconds): the test command runs it that way so the bench
//! cannot silently break; its figures mean nothing.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gridwalk_protocol::{
    Mutation, MutationBody, Outcome, PhotoId, PhotoRef, PhotoStage, PushResponse, UserId, tus,
};
use gridwalk_sync::domain::photos::JpegCheck;
use gridwalk_system_tests::{INSPECTOR, Tablet, bench_setting, binary, fixtures, push_of};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const MIB: f64 = 1024.0 * 1024.0;

/// `fixtures/photos/orient-1.jpg`'s size in pixels.
const WIDTH: u32 = 1024;
const HEIGHT: u32 = 768;

/// The real binary over a data directory of its own (embedded SQLite, photos on disk).
struct Centre {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Centre {
    fn new(bin: PathBuf) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            bin,
            data: dir.path().join("data"),
            _dir: dir,
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--data-dir").arg(&self.data);
        c
    }

    /// `gridwalk-sync admin <rest>`, which must succeed; its standard output, trimmed.
    async fn admin(&self, rest: &[&str]) -> String {
        let out = self
            .command()
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

    /// Starts `serve` on a free port and waits until it listens: the process and its URL.
    async fn serve(&self, max_upload_bytes: u64) -> (Child, String) {
        let mut child = self
            .command()
            .args(["serve", "--listen", "127.0.0.1:0", "--max-upload-bytes"])
            .arg(max_upload_bytes.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        let url = first.strip_prefix("listening on ").unwrap().to_owned();
        (child, url)
    }

    /// Where the blob store keeps the photo with this SHA-256.
    fn photo_file(&self, sha256: &str) -> PathBuf {
        self.data
            .join("blobs")
            .join(gridwalk_sync::blobs::BlobStore::photo_key(sha256))
    }
}

/// One photo to send: its bytes and its reference in the report.
struct Photo {
    bytes: Vec<u8>,
    sha256: String,
}

/// `base` (a whole JPEG) grown to exactly `size` bytes with COM segments after its image
/// data, before its end-of-image marker; `tag` goes into the first one, so photos made with
/// different tags differ. The headers stay at the start: the centre reads them from the
/// first MiB only ([`gridwalk_sync::domain::photos::JPEG_HEAD`]), so padding put before the
/// frame header or the scan would get a photo of over a MiB refused.
fn jpeg_of_size(base: &[u8], size: usize, tag: u32) -> Vec<u8> {
    const MOST: usize = 4 + 65533; // marker, length, the most payload a segment holds
    assert_eq!(base[base.len() - 2..], [0xFF, 0xD9], "ends with EOI");
    let mut left = size
        .checked_sub(base.len())
        .expect("S is at least the base");
    assert!(left == 0 || left >= 4, "no COM segment is 1-3 bytes long");
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&base[..base.len() - 2]);
    let mut n = 0u32;
    while left > 0 {
        // Never leave 1-3 bytes over: they could not make a segment.
        let seg = if left > MOST && left - MOST < 4 {
            left - 4
        } else {
            left.min(MOST)
        };
        let payload = seg - 4;
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&u16::try_from(payload + 2).unwrap().to_be_bytes());
        let start = out.len();
        out.extend((0..payload).map(|i| b"gridwalk upload_memory "[i % 23]));
        let label = format!("photo {tag} segment {n} ");
        let k = label.len().min(payload);
        out[start..start + k].copy_from_slice(&label.as_bytes()[..k]);
        left -= seg;
        n += 1;
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    assert_eq!(out.len(), size);
    out
}

fn photo(base: &[u8], size: usize, tag: u32) -> Photo {
    let bytes = jpeg_of_size(base, size, tag);
    let mut check = JpegCheck::default();
    check.feed(&bytes);
    check
        .verdict(Some(WIDTH), Some(HEIGHT))
        .expect("the centre takes the bench's photo");
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Photo { bytes, sha256 }
}

/// The ID of the fixtures' user with this login.
fn user_id(login: &str) -> UserId {
    let users: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("users.json")).unwrap()).unwrap();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == login)
        .unwrap();
    serde_json::from_value(user["id"].clone()).unwrap()
}

/// The server's resident set, or its high water mark, in bytes.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn rss(pid: u32) -> u64 {
    status_kb(pid, "VmRSS:").unwrap()
}

/// Reads the RSS every ~5 ms on a thread of its own until `stop`: the most seen and how
/// many readings.
fn sample(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(u64, usize)> {
    std::thread::spawn(move || {
        let (mut most, mut n) = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            most = most.max(rss(pid));
            n += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
        (most.max(rss(pid)), n + 1)
    })
}

/// A tablet with its pushed report and its open upload.
struct Sender {
    token: String,
    upload: String,
}

/// Enrolls a new tablet, pushes a report with `photo` (which must be applied) and opens
/// its upload.
async fn sender(
    centre: &Centre,
    url: &str,
    http: &reqwest::Client,
    reporter: UserId,
    photo: &Photo,
) -> Sender {
    let tablet = Tablet::new();
    let token = centre
        .admin(&[
            "enroll-device",
            "--user",
            INSPECTOR,
            "--device",
            &tablet.id.to_string(),
        ])
        .await;
    let mut report = gridwalk_protocol::testing::report();
    report.reporter = reporter;
    report.device = tablet.id;
    let photo_ref = PhotoRef {
        id: PhotoId::new(),
        sha256: photo.sha256.clone(),
        bytes: photo.bytes.len() as u64,
        width: WIDTH,
        height: HEIGHT,
        taken_at: None,
        stage: PhotoStage::Before,
    };
    report.photos = vec![photo_ref.clone()];
    let report_id = report.id;
    let push = push_of(
        &tablet,
        vec![Mutation {
            id: 1,
            device: tablet.id,
            created_at: chrono::Utc::now(),
            body: MutationBody::SubmitReport {
                report: Box::new(report),
            },
            signature: None,
        }],
    );
    let answer = http
        .post(format!("{url}/v1/push"))
        .bearer_auth(&token)
        .json(&push)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "push: {}", answer.status());
    let answer: PushResponse = answer.json().await.unwrap();
    assert_eq!(answer.results[0].outcome, Outcome::Applied, "{answer:?}");

    let (report_id, photo_id) = (report_id.to_string(), photo_ref.id.to_string());
    let created = http
        .post(format!("{url}/v1/uploads/"))
        .bearer_auth(&token)
        .header(tus::header::TUS_RESUMABLE, tus::VERSION)
        .header(tus::header::UPLOAD_LENGTH, photo_ref.bytes.to_string())
        .header(
            tus::header::UPLOAD_METADATA,
            tus::encode_metadata([
                (tus::meta::REPORT, report_id.as_str()),
                (tus::meta::PHOTO, photo_id.as_str()),
            ]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let location = created.headers()["location"].to_str().unwrap();
    let upload = location
        .find("/v1/")
        .map_or(location, |i| &location[i..])
        .to_owned();
    Sender { token, upload }
}

/// One round's figures, in bytes.
struct Round {
    baseline: u64,
    peak: u64,
    kernel_peak: Option<u64>,
    samples: usize,
    took: Duration,
}

async fn round(bin: PathBuf, photos: &[Photo], reporter: UserId) -> Round {
    let centre = Centre::new(bin);
    centre
        .admin(&["load-fixtures", fixtures().to_str().unwrap()])
        .await;
    let size = photos[0].bytes.len() as u64;
    let (mut server, url) = centre.serve(size).await;
    let pid = server.id().unwrap();
    let http = reqwest::Client::new();
    let mut senders = Vec::new();
    for p in photos {
        senders.push(sender(&centre, &url, &http, reporter, p).await);
    }
    // The bodies are ready before the baseline; the server has settled after the setup.
    let bodies: Vec<Vec<u8>> = photos.iter().map(|p| p.bytes.clone()).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hwm_reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let baseline = rss(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample(pid, Arc::clone(&stop));

    let started = Instant::now();
    let patches: Vec<_> = senders
        .iter()
        .zip(bodies)
        .map(|(s, body)| {
            let req = http
                .patch(format!("{url}{}", s.upload))
                .bearer_auth(&s.token)
                .header(tus::header::TUS_RESUMABLE, tus::VERSION)
                .header(tus::header::UPLOAD_OFFSET, "0")
                .header(reqwest::header::CONTENT_TYPE, tus::OFFSET_OCTET_STREAM)
                .body(body);
            tokio::spawn(async move {
                let resp = req.send().await.unwrap();
                let status = resp.status();
                (status, resp.text().await.unwrap_or_default())
            })
        })
        .collect();
    for p in patches {
        let (status, text) = p.await.unwrap();
        assert_eq!(status, 204, "PATCH: {text}");
    }
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (peak, samples) = sampler.join().unwrap();
    let kernel_peak = hwm_reset.then(|| status_kb(pid, "VmHWM:")).flatten();

    // Every photo arrived: the upload says it is whole, and the photo is on disk.
    for (s, p) in senders.iter().zip(photos) {
        let head = http
            .head(format!("{url}{}", s.upload))
            .bearer_auth(&s.token)
            .header(tus::header::TUS_RESUMABLE, tus::VERSION)
            .send()
            .await
            .unwrap();
        let offset = &head.headers()[tus::header::UPLOAD_OFFSET];
        assert_eq!(offset.to_str().unwrap(), size.to_string(), "upload whole");
        let held = std::fs::metadata(centre.photo_file(&p.sha256)).unwrap();
        assert_eq!(held.len(), size, "photo {} on disk", p.sha256);
    }
    server.kill().await.unwrap();
    Round {
        baseline,
        peak,
        kernel_peak,
        samples,
        took,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let uploads: u32 = bench_setting("GRIDWALK_BENCH_UPLOADS", 12, 2);
    let mib: usize = bench_setting("GRIDWALK_BENCH_PHOTO_MIB", 30, 2);
    let rounds: usize = bench_setting("GRIDWALK_BENCH_ROUNDS", 3, 1);
    let size = mib * 1024 * 1024;
    let in_flight = f64::from(uploads) * size as f64;

    let bin = binary("gridwalk-sync");
    let base = std::fs::read(fixtures().join("photos/orient-1.jpg")).unwrap();
    let photos: Vec<Photo> = (0..uploads).map(|i| photo(&base, size, i)).collect();
    let reporter = user_id(INSPECTOR);

    println!(
        "upload_memory: {uploads} photos of {mib} MiB, each whole in one tus PATCH, all at \
         once, to a real gridwalk-sync (SQLite, photos on local disk); {rounds} rounds; \
         reference: the bytes in flight, N×S = {:.0} MiB",
        in_flight / MIB
    );
    println!(
        "| round | N | S (MiB) | baseline (MiB) | peak (MiB) | kernel peak (MiB) | growth \
         (MiB) | growth / (N×S) | growth per upload (MiB) | PATCHes took | RSS readings |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for r in 1..=rounds {
        let m = round(bin.clone(), &photos, reporter).await;
        let growth = m.peak.saturating_sub(m.baseline) as f64;
        let ratio = growth / in_flight;
        ratios.push(ratio);
        println!(
            "| {r} | {uploads} | {mib} | {:.1} | {:.1} | {} | {:.1} | {ratio:.3} | {:.2} | {:.2} s \
             | {} |",
            m.baseline as f64 / MIB,
            m.peak as f64 / MIB,
            m.kernel_peak
                .map_or_else(|| "—".into(), |k| format!("{:.1}", k as f64 / MIB)),
            growth / MIB,
            growth / f64::from(uploads) / MIB,
            m.took.as_secs_f64(),
            m.samples,
        );
    }
    println!(
        "growth / bytes in flight: {:.3} (median of {rounds}; min {:.3}, max {:.3}); holding \
         each body whole would be ≥ 1.0, the centre before streaming was about 0.85",
        median(ratios.clone()),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
}
