//! Intake at the centre, measured side by side with a reference in the same run:
//!
//! 1. 50 devices × 40 reports × 3 photos (~300 KB each), all pushed at once over loopback
//!    to a real server (in this process, real HTTP, the engine's own sync client): first
//!    every device's push (reports/s), then every device's photos over tus (MB/s). Once on
//!    embedded SQLite, once on PostgreSQL.
//! 2. The reference: the same 2000 report rows written by raw single-row PostgreSQL
//!    INSERTs (one statement and one commit each), from 50 tasks over a pool of 16
//!    connections, the same pool size the server uses.
//!
//! 3. For scale, the signature checks alone: the same number of signed submissions verified
//!    one after another on one core, as the centre verifies a push before applying it
//!    (every pushed mutation in part 1 is signed by its device's key and checked).
//!
//! Run: `cargo bench -p gridwalk-system-tests --bench intake` (PostgreSQL from `GRIDWALK_TEST_PG`,
//! default the local `test` database). `GRIDWALK_BENCH_DEVICES`, `…_REPORTS`, `…_PHOTOS`
//! and `…_PHOTO_KB` change the sizes. `GRIDWALK_BENCH_QUICK=1` runs every part with tiny
//! sizes (seconds): the test command runs it that way so the bench cannot silently break;
//! its figures mean nothing.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use gridwalk_field::sync::{SyncClient, SyncSettings};
use gridwalk_protocol::{
    Mutation, MutationBody, PhotoId, PhotoRef, PhotoStage, PushRequest, QueueStats, Report,
    ReportId,
};
use gridwalk_system_tests::*;
use rand::{Rng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};

struct Sizes {
    devices: usize,
    reports: usize,
    photos: usize,
    photo_bytes: usize,
}

/// One device's work: its token, its push, and its photos (report, photo, bytes).
struct DeviceLoad {
    token: String,
    push: PushRequest,
    photos: Vec<(ReportId, PhotoId, Arc<Vec<u8>>)>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A JPEG of random pixels of about `target` bytes (the centre takes only JPEGs of the size
/// their report says), and its size. Noise does not compress: about 2.4 bytes a pixel at
/// quality 90.
fn noise_jpeg(rng: &mut impl RngCore, target: usize) -> (Vec<u8>, u32, u32) {
    let side = ((target as f64 / 2.4).sqrt() as u32).max(8);
    let (w, h) = (side * 4 / 3, side * 3 / 4);
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    rng.fill_bytes(&mut pixels);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(&pixels, w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    (out, w, h)
}

/// A valid report to copy: what a real engine files for street rubbish.
fn template() -> Report {
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 2);
    let req = engine.push_request("bench").unwrap();
    req.mutations[1].body.submitted().unwrap().clone()
}

/// Reports and random photo bytes for every device, made before the clock starts.
async fn loads(s: &Server, sizes: &Sizes, template: &Report) -> Vec<DeviceLoad> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut out = Vec::new();
    for _ in 0..sizes.devices {
        let tablet = Tablet::new();
        let device = tablet.id;
        let token =
            gridwalk_sync::services::admin::enroll_device(s.store.as_ref(), INSPECTOR, device)
                .await
                .unwrap();
        let mut mutations = Vec::new();
        let mut photos = Vec::new();
        for n in 0..sizes.reports {
            let mut r = template.clone();
            r.id = ReportId::new();
            r.device = device;
            // Spread over a few kilometres, as a district's reports are.
            r.location.lon += rng.random_range(-0.02..0.02);
            r.location.lat += rng.random_range(-0.02..0.02);
            r.photos = (0..sizes.photos)
                .map(|_| {
                    let (bytes, width, height) = noise_jpeg(&mut rng, sizes.photo_bytes);
                    let p = PhotoRef {
                        id: PhotoId::new(),
                        sha256: hex(&Sha256::digest(&bytes)),
                        bytes: bytes.len() as u64,
                        width,
                        height,
                        taken_at: None,
                        stage: PhotoStage::Before,
                    };
                    photos.push((r.id, p.id, Arc::new(bytes)));
                    p
                })
                .collect();
            mutations.push(Mutation {
                id: n as u64 + 1,
                device,
                created_at: chrono::Utc::now(),
                body: MutationBody::SubmitReport {
                    report: Box::new(r),
                },
                signature: None,
            });
        }
        // Signed as a tablet signs them, before the clock starts: what is measured is the
        // centre checking them.
        out.push(DeviceLoad {
            token,
            push: PushRequest {
                app_version: "bench".into(),
                device_model: None,
                queue: QueueStats::default(),
                ..push_of(&tablet, mutations)
            },
            photos,
        });
    }
    out
}

struct Intake {
    push: Duration,
    photos: Duration,
    photo_bytes: u64,
}

async fn intake(backend: Backend, sizes: &Sizes, template: &Report) -> Intake {
    let s = server(backend).await;
    let loads = loads(&s, sizes, template).await;
    let client = |token: &str| {
        SyncClient::new(&SyncSettings {
            server_url: s.url.clone(),
            token: token.to_owned(),
            transport: gridwalk_field::sync::Transport::default(),
        })
        .unwrap()
    };

    let started = Instant::now();
    let pushes: Vec<_> = loads
        .iter()
        .map(|l| {
            let (c, req) = (client(&l.token), l.push.clone());
            tokio::spawn(async move { c.push(&req).await.unwrap() })
        })
        .collect();
    for p in pushes {
        let resp = p.await.unwrap();
        assert!(
            resp.results
                .iter()
                .all(|r| r.outcome == gridwalk_protocol::Outcome::Applied),
            "{:?}",
            resp.results.first()
        );
    }
    let push = started.elapsed();

    let started = Instant::now();
    let uploads: Vec<_> = loads
        .iter()
        .map(|l| {
            let (c, photos) = (client(&l.token), l.photos.clone());
            tokio::spawn(async move {
                let mut bytes = 0u64;
                for (report, photo, body) in photos {
                    let (_, kept) = c
                        .create_upload(report, photo, body.len() as u64, &body)
                        .await
                        .unwrap();
                    assert_eq!(kept, body.len() as u64);
                    bytes += kept;
                }
                bytes
            })
        })
        .collect();
    let mut photo_bytes = 0;
    for u in uploads {
        photo_bytes += u.await.unwrap();
    }
    let photos = started.elapsed();

    let total = (sizes.devices * sizes.reports) as u64;
    assert_eq!(s.store.report_count().await.unwrap(), total);
    let sample = loads[0].photos[0].0;
    assert_eq!(
        s.store
            .report(sample)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str(),
        "pending_review"
    );
    s.finish().await;
    Intake {
        push,
        photos,
        photo_bytes,
    }
}

/// The same report rows, one INSERT and one commit each, no checks, no bookkeeping.
async fn raw_inserts(sizes: &Sizes, template: &Report) -> Duration {
    let schema = format!("gw_bench_{}", uuid::Uuid::now_v7().simple());
    let mut config: tokio_postgres::Config = pg_url().parse().unwrap();
    let (admin, conn) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {schema};
             CREATE TABLE {schema}.raw_reports (
                id UUID PRIMARY KEY, device_id UUID NOT NULL, reporter UUID NOT NULL,
                version BIGINT NOT NULL, state TEXT NOT NULL, kind TEXT NOT NULL,
                category TEXT NOT NULL, cell TEXT, urgency TEXT NOT NULL,
                observed_at TIMESTAMPTZ NOT NULL, record JSONB NOT NULL,
                received_at TIMESTAMPTZ NOT NULL, lon DOUBLE PRECISION, lat DOUBLE PRECISION)"
        ))
        .await
        .unwrap();
    config.options(format!("-c search_path={schema}"));
    let pool = Pool::builder(Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    ))
    .max_size(16)
    .build()
    .unwrap();
    let rows: Vec<Vec<Report>> = (0..sizes.devices)
        .map(|_| {
            let device = gridwalk_protocol::DeviceId::new();
            (0..sizes.reports)
                .map(|_| {
                    let mut r = template.clone();
                    r.id = ReportId::new();
                    r.device = device;
                    r
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = rows
        .into_iter()
        .map(|reports| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for r in reports {
                    let c = pool.get().await.unwrap();
                    c.execute(
                        "INSERT INTO raw_reports (id, device_id, reporter, version, state, kind,
                            category, cell, urgency, observed_at, record, received_at, lon, lat)
                         VALUES ($1, $2, $3, 1, 'pending_review', $4, $5, $6, $7, $8, $9, $10,
                                 $11, $12)",
                        &[
                            r.id.as_uuid(),
                            r.device.as_uuid(),
                            r.reporter.as_uuid(),
                            &"event",
                            &r.category.as_str(),
                            &r.cell.as_ref().map(gridwalk_protocol::CellCode::as_str),
                            &"normal",
                            &r.observed_at.to_utc(),
                            &serde_json::to_value(&r).unwrap(),
                            &chrono::Utc::now(),
                            &r.location.lon,
                            &r.location.lat,
                        ],
                    )
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let took = started.elapsed();
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    took
}

/// Verifies `n` signed submissions of `template` one after another; the time it took.
fn signature_checks(template: &Report, n: usize) -> Duration {
    let tablet = Tablet::new();
    let mutations: Vec<Mutation> = (0..n)
        .map(|i| {
            let mut r = template.clone();
            r.id = ReportId::new();
            r.device = tablet.id;
            let mut m = Mutation {
                id: i as u64 + 1,
                device: tablet.id,
                created_at: chrono::Utc::now(),
                body: MutationBody::SubmitReport {
                    report: Box::new(r),
                },
                signature: None,
            };
            tablet.sign(&mut m);
            m
        })
        .collect();
    let key = tablet.key.verifying_key();
    let started = Instant::now();
    for m in &mutations {
        gridwalk_protocol::signing::verify(&key, m).unwrap();
    }
    started.elapsed()
}

fn main() {
    let sizes = Sizes {
        devices: bench_setting("GRIDWALK_BENCH_DEVICES", 50, 4),
        reports: bench_setting("GRIDWALK_BENCH_REPORTS", 40, 5),
        photos: bench_setting("GRIDWALK_BENCH_PHOTOS", 3, 2),
        photo_bytes: bench_setting("GRIDWALK_BENCH_PHOTO_KB", 300, 32) * 1024,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let template = template();
        let reports = (sizes.devices * sizes.reports) as f64;
        println!(
            "intake: {} devices × {} reports × {} photos of {} KB, pushed at once over loopback",
            sizes.devices,
            sizes.reports,
            sizes.photos,
            sizes.photo_bytes / 1024
        );
        let raw = raw_inserts(&sizes, &template).await;
        let raw_rate = reports / raw.as_secs_f64();
        println!(
            "raw PostgreSQL single-row INSERTs: {:.0} rows/s ({:.2} s)",
            raw_rate,
            raw.as_secs_f64()
        );
        let checks = signature_checks(&template, sizes.devices * sizes.reports);
        println!(
            "signature checks alone, one core: {:.0} mutations/s ({:.1} µs each)",
            reports / checks.as_secs_f64(),
            checks.as_secs_f64() * 1e6 / reports
        );
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let r = intake(backend, &sizes, &template).await;
            let rate = reports / r.push.as_secs_f64();
            let mb = r.photo_bytes as f64 / 1e6;
            println!(
                "{backend:?}: push {:.0} reports/s ({:.2} s, {:.2}× the raw insert rate); \
                 photos {:.1} MB/s ({:.0} MB in {:.2} s, {:.0} photos/s)",
                rate,
                r.push.as_secs_f64(),
                rate / raw_rate,
                mb / r.photos.as_secs_f64(),
                mb,
                r.photos.as_secs_f64(),
                (sizes.devices * sizes.reports * sizes.photos) as f64 / r.photos.as_secs_f64(),
            );
        }
    });
}
