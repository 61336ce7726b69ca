//! Evidence integrity, below HTTP, on both backends: rows changed in the database around
//! the server (a version's text, an approval re-attributed, the report row itself, a
//! version removed, an administrative act) and a photo file overwritten on disk are each
//! named by `admin verify` and by the console's seal; a clean store verifies; a case's
//! evidence package checks with nothing but its files, and a changed byte in it is named.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SubsecRound, TimeDelta, Utc};
use gridwalk_evidence::{package, sha256_hex};
use gridwalk_protocol::{CaseState, DeviceId, QueueStats, ReportId, ReportPatch};
use gridwalk_sync::AppState;
use gridwalk_sync::blobs::BlobStore;
use gridwalk_sync::domain::cases::{Action, StepRequest, Stepped};
use gridwalk_sync::domain::model::{ArrivedPhoto, Author, Device, Upload, UploadPart, User};
use gridwalk_sync::domain::push::Effect;
use gridwalk_sync::domain::reference::Reference;
use gridwalk_sync::on_every_backend;
use gridwalk_sync::services::admin::{self, Finding};
use gridwalk_sync::services::console;
use gridwalk_sync::services::uploads::UploadSettings;
use gridwalk_sync::store::{CaseStore, Seen};
use gridwalk_sync::testkit::{Backend, case_store, drop_schema, pg_execute};

const PHOTO: &[u8] = b"\xFF\xD8 a missing manhole cover on Jianshe Road \xFF\xD9";

/// A store holding one case: a report with its photo arrived, edited twice at the centre
/// (versions 1-3) and approved (case events: photos complete, approve).
struct World {
    backend: Backend,
    store: Arc<dyn CaseStore>,
    blobs: BlobStore,
    schema: Option<String>,
    dir: tempfile::TempDir,
    report: ReportId,
    case_no: String,
    sha: String,
    operator: User,
}

async fn world(backend: Backend) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (store, schema) = case_store(backend, dir.path()).await;
    let s = store.as_ref();
    let (tables, rules) = s.reference_texts().await.unwrap();
    let reference = Arc::new(Reference::parse(&tables, rules.as_deref()).unwrap());
    let user = s.user_by_login("lixiaoming").await.unwrap().unwrap();
    let d = Device {
        id: DeviceId::new(),
        user: user.id,
        role: user.role,
    };
    s.enroll_device(d.id, d.user, &format!("token-{}", d.id), Utc::now())
        .await
        .unwrap();
    let sha = sha256_hex(PHOTO);
    let mut r = gridwalk_protocol::testing::report();
    r.reporter = d.user;
    r.device = d.id;
    r.photos[0].sha256 = sha.clone();
    r.photos[0].bytes = PHOTO.len() as u64;
    let seen = Seen {
        app_version: "integrity".into(),
        model: None,
        queue: QueueStats::default(),
        at: Utc::now(),
    };
    s.apply(
        d.id,
        vec![(1, Effect::InsertReport(Box::new(r.clone().into())))],
        vec![],
        seen,
        Arc::clone(&reference),
    )
    .await
    .unwrap();

    let blobs = BlobStore::local(&dir.path().join("blobs")).unwrap();
    blobs
        .put_photo(&sha, bytes::Bytes::from_static(PHOTO))
        .await
        .unwrap();
    let now = Utc::now().trunc_subsecs(6);
    let upload = Upload {
        id: uuid::Uuid::now_v7(),
        device: d.id,
        report: r.id,
        photo: r.photos[0].id,
        length: PHOTO.len() as u64,
        received: 0,
        metadata: None,
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
        completed_at: None,
    };
    s.create_upload(&upload).await.unwrap();
    let arrived = ArrivedPhoto {
        sha256: sha.clone(),
        bytes: PHOTO.len() as u64,
        at: now,
        holder: d.user,
        review_due: None,
    };
    let part = UploadPart {
        start: 0,
        length: PHOTO.len() as u64,
        key: "part-0".into(),
    };
    s.append_upload(upload.id, &part, now, Some(&arrived))
        .await
        .unwrap();
    assert_eq!(
        s.report(r.id).await.unwrap().unwrap().state,
        CaseState::PendingReview
    );

    let operator = s.user_by_login("sunyue").await.unwrap().unwrap();
    let mut before = r.clone();
    for (v, text) in [(1, "路边堆放建筑垃圾约两方"), (2, "路边堆放建筑垃圾约三方")]
    {
        let mut changed = before.clone();
        changed.description = text.into();
        let patch = ReportPatch::between(&before, &changed);
        s.write_version(&changed, v, &patch, operator.id, Utc::now())
            .await
            .unwrap();
        before = changed;
    }
    let step = StepRequest {
        report: r.id,
        action: Action::approve(),
        seen: Some(CaseState::PendingReview),
        by: Author::person(operator.id),
        at: Utc::now(),
        task: None,
        department_seen: None,
    };
    let Stepped::Done { case_no, .. } = s.step(&step, reference).await.unwrap() else {
        panic!("approved")
    };
    World {
        backend,
        store,
        blobs,
        schema,
        dir,
        report: r.id,
        case_no: case_no.unwrap(),
        sha,
        operator,
    }
}

impl World {
    /// Changes the database around the server, as someone with access to it could.
    async fn tamper(&self, sqlite: &str, postgres: &str) {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open(self.dir.path().join("cases.db")).unwrap();
                conn.execute_batch(sqlite).unwrap();
            }
            Backend::Postgres => {
                let schema = self.schema.as_deref().unwrap();
                pg_execute(&format!("SET search_path TO {schema}; {postgres}")).await;
            }
        }
    }

    async fn findings(&self) -> Vec<Finding> {
        admin::verify(self.store.as_ref(), &self.blobs)
            .await
            .unwrap()
            .findings
    }

    fn state(&self) -> AppState {
        AppState::new(
            Arc::clone(&self.store),
            self.blobs.clone(),
            UploadSettings::default(),
        )
    }

    /// The console's seal of the report: `Ok(())` if verified, else where it is broken.
    async fn seal(&self) -> Result<(), String> {
        let detail = console::detail(&self.state(), &self.operator, self.report, Utc::now())
            .await
            .unwrap();
        match (detail.seal.verified, detail.seal.broken) {
            (true, None) => Ok(()),
            (false, Some(broken)) => Err(broken),
            other => panic!("a seal both verified and broken: {other:?}"),
        }
    }

    fn photo_file(&self) -> PathBuf {
        self.dir
            .path()
            .join("blobs")
            .join(BlobStore::photo_key(&self.sha))
    }

    async fn done(self) {
        drop_schema(self.schema).await;
    }
}

/// The one finding, which must be in `table` at an entry named `entry…`.
fn one(findings: &[Finding], table: &str, entry: &str) -> Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = findings[0].clone();
    assert_eq!(f.table, table, "{f}");
    assert!(f.entry.starts_with(entry), "{f}");
    f
}

async fn a_clean_store_verifies(backend: Backend) {
    let w = world(backend).await;
    let v = admin::verify(w.store.as_ref(), &w.blobs).await.unwrap();
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    assert_eq!((v.reports, v.versions, v.events, v.blobs), (1, 3, 2, 1));
    assert!(v.acts >= 1, "loading the fixtures is an act");
    let detail = console::detail(&w.state(), &w.operator, w.report, Utc::now())
        .await
        .unwrap();
    assert!(detail.seal.verified, "{:?}", detail.seal);
    assert_eq!(
        (detail.seal.versions, detail.seal.events, detail.seal.photos),
        (3, 2, 1)
    );
    assert!(detail.seal.head.is_some());
    let bytes = console::photo(&w.state(), &w.operator, &w.sha)
        .await
        .unwrap();
    assert_eq!(&bytes[..], PHOTO);
    w.done().await;
}

async fn a_version_with_changed_text_is_named(backend: Backend) {
    let w = world(backend).await;
    w.tamper(
        "UPDATE report_versions SET record = json_set(record, '$.description', 'TAMPERED')
          WHERE version = 2",
        "UPDATE report_versions SET record = jsonb_set(record, '{description}', '\"TAMPERED\"')
          WHERE version = 2",
    )
    .await;
    let f = one(&w.findings().await, "report_versions", "version 2");
    assert!(f.chain.contains(&w.report.to_string()), "{f}");
    assert!(f.chain.contains(&w.case_no), "{f}");
    assert!(f.what.contains("no longer matches its hash"), "{f}");
    let broken = w.seal().await.unwrap_err();
    assert!(broken.contains("report_versions: version 2"), "{broken}");
    w.done().await;
}

async fn an_approval_given_to_another_person_is_named(backend: Backend) {
    let w = world(backend).await;
    w.tamper(
        "UPDATE case_events SET by_user = (SELECT id FROM users WHERE login = 'lixiaoming')
          WHERE action = 'approve'",
        "UPDATE case_events SET by_user = (SELECT id FROM users WHERE login = 'lixiaoming')
          WHERE action = 'approve'",
    )
    .await;
    one(&w.findings().await, "case_events", "case event ");
    w.done().await;
}

async fn a_changed_report_row_is_named(backend: Backend) {
    let w = world(backend).await;
    w.tamper(
        "UPDATE reports SET record = json_set(record, '$.description', 'TAMPERED')",
        "UPDATE reports SET record = jsonb_set(record, '{description}', '\"TAMPERED\"')",
    )
    .await;
    let f = one(&w.findings().await, "reports", "the report row");
    assert!(f.what.contains("record differs from version 3"), "{f}");
    assert!(w.seal().await.unwrap_err().starts_with("reports"));

    let w2 = world(backend).await;
    w2.tamper(
        "UPDATE reports SET note = 'approved by the director'",
        "UPDATE reports SET note = 'approved by the director'",
    )
    .await;
    let f = one(&w2.findings().await, "reports", "the report row");
    assert!(f.what.contains("seal"), "{f}");
    w.done().await;
    w2.done().await;
}

async fn a_removed_version_is_named(backend: Backend) {
    let w = world(backend).await;
    w.tamper(
        "DELETE FROM report_versions WHERE version = 2",
        "DELETE FROM report_versions WHERE version = 2",
    )
    .await;
    let f = one(&w.findings().await, "report_versions", "version 3");
    assert!(f.what.contains("version 2 is missing"), "{f}");
    w.done().await;
}

async fn an_overwritten_photo_file_is_named_and_not_served(backend: Backend) {
    let w = world(backend).await;
    std::fs::write(w.photo_file(), b"<html>not the photo</html>").unwrap();
    let f = one(
        &w.findings().await,
        "photo_blobs",
        &format!("photo {}", w.sha),
    );
    assert!(f.what.contains("overwritten"), "{f}");
    let broken = w.seal().await.unwrap_err();
    assert!(broken.contains("photo_blobs"), "{broken}");
    assert!(
        console::photo(&w.state(), &w.operator, &w.sha)
            .await
            .is_err(),
        "changed bytes are not served under the photo's SHA-256"
    );
    std::fs::remove_file(w.photo_file()).unwrap();
    let f = one(
        &w.findings().await,
        "photo_blobs",
        &format!("photo {}", w.sha),
    );
    assert!(f.what.contains("missing"), "{f}");
    w.done().await;
}

async fn a_changed_or_removed_administrative_act_is_named(backend: Backend) {
    let w = world(backend).await;
    admin::disable_user(w.store.as_ref(), "lixiaoming")
        .await
        .unwrap();
    assert!(w.findings().await.is_empty());
    w.tamper(
        "UPDATE admin_acts SET actor = 'someone else' WHERE seq = 1",
        "UPDATE admin_acts SET actor = 'someone else' WHERE seq = 1",
    )
    .await;
    one(&w.findings().await, "admin_acts", "admin act 1 ");
    w.done().await;

    let w = world(backend).await;
    admin::disable_user(w.store.as_ref(), "lixiaoming")
        .await
        .unwrap();
    w.tamper(
        "DELETE FROM admin_acts WHERE action = 'disable_user'",
        "DELETE FROM admin_acts WHERE action = 'disable_user'",
    )
    .await;
    let f = one(&w.findings().await, "admin_acts", "the chain's head");
    assert!(f.what.contains("removed"), "{f}");
    w.done().await;
}

fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

async fn an_exported_case_checks_without_the_database(backend: Backend) {
    let w = world(backend).await;
    let out = w.dir.path().join("case");
    let (id, fingerprint) = admin::export_case(w.store.as_ref(), &w.blobs, &w.case_no, &out)
        .await
        .unwrap();
    assert_eq!(id, w.report);
    let s = package::check(&out).unwrap();
    assert_eq!((s.versions, s.events, s.photos), (3, 2, 1));
    assert_eq!(s.fingerprint, fingerprint);
    assert_eq!(s.case_no.as_deref(), Some(w.case_no.as_str()));
    let acts = w.store.admin_acts(1).await.unwrap();
    assert_eq!(acts[0].action, "export_case");
    assert!(
        acts[0].detail.as_deref().unwrap().contains(&fingerprint),
        "the export is in the administrative chain with the package's fingerprint"
    );
    assert!(w.findings().await.is_empty());

    // By report ID too; then a byte of the photo changed.
    let photo_copy = w.dir.path().join("case-photo");
    admin::export_case(
        w.store.as_ref(),
        &w.blobs,
        &w.report.to_string(),
        &photo_copy,
    )
    .await
    .unwrap();
    flip_a_byte(&package::photo_path(&photo_copy, &w.sha));
    let p = package::check(&photo_copy).unwrap_err();
    assert_eq!(p.item, format!("photos/{}.jpg", w.sha), "{p}");

    // A record changed, and the manifest made again to match: the chain still names it.
    let record_copy = w.dir.path().join("case-record");
    admin::export_case(w.store.as_ref(), &w.blobs, &w.case_no, &record_copy)
        .await
        .unwrap();
    let versions = record_copy.join("versions.json");
    let text = std::fs::read_to_string(&versions).unwrap();
    std::fs::write(&versions, text.replace("约两方", "约十方")).unwrap();
    assert_eq!(
        package::check(&record_copy).unwrap_err().item,
        "versions.json"
    );
    let report: package::ReportFile =
        serde_json::from_slice(&std::fs::read(record_copy.join("report.json")).unwrap()).unwrap();
    package::finish(&record_copy, &report, "later", "a forger").unwrap();
    let p = package::check(&record_copy).unwrap_err();
    assert_eq!(p.item, "versions.json: version 2", "{p}");

    // A broken case is not exported as if it were sound.
    w.tamper(
        "DELETE FROM report_versions WHERE version = 2",
        "DELETE FROM report_versions WHERE version = 2",
    )
    .await;
    let e = admin::export_case(
        w.store.as_ref(),
        &w.blobs,
        &w.case_no,
        &w.dir.path().join("never"),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("broken"), "{e}");
    w.done().await;
}

/// Rows written before the chains existed (here: their hashes wiped, and the migration's
/// mark put back) are chained once when the store opens; a wiped hash found later is a
/// break, not chained again.
async fn rows_from_before_the_chains_are_chained_once_on_open(backend: Backend) {
    let w = world(backend).await;
    let wipe = "UPDATE report_versions SET prev_hash = NULL, hash = NULL;
                UPDATE case_events SET prev_hash = NULL, hash = NULL;
                UPDATE reports SET seal = NULL;
                UPDATE admin_acts SET seq = NULL, prev_hash = NULL, hash = NULL;
                UPDATE chain_heads SET seq = 0,
                    hash = '0000000000000000000000000000000000000000000000000000000000000000';";
    w.tamper(
        &format!("{wipe} INSERT INTO chain_heads (name, seq, hash) VALUES ('backfill', 0, '');"),
        &format!("{wipe} INSERT INTO chain_heads (name, seq, hash) VALUES ('backfill', 0, '');"),
    )
    .await;
    let reopened: Arc<dyn CaseStore> = match backend {
        Backend::Sqlite => Arc::new(
            gridwalk_sync::store::sqlite::SqliteStore::open(&w.dir.path().join("cases.db"))
                .await
                .unwrap(),
        ),
        Backend::Postgres => Arc::new(
            gridwalk_sync::store::postgres::PgStore::connect(
                &gridwalk_sync::testkit::pg_url(),
                w.schema.as_deref(),
            )
            .await
            .unwrap(),
        ),
    };
    let v = admin::verify(reopened.as_ref(), &w.blobs).await.unwrap();
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    assert_eq!((v.versions, v.events), (3, 2));

    w.tamper(
        "UPDATE report_versions SET hash = NULL WHERE version = 1",
        "UPDATE report_versions SET hash = NULL WHERE version = 1",
    )
    .await;
    drop(reopened);
    let again: Arc<dyn CaseStore> = match backend {
        Backend::Sqlite => Arc::new(
            gridwalk_sync::store::sqlite::SqliteStore::open(&w.dir.path().join("cases.db"))
                .await
                .unwrap(),
        ),
        Backend::Postgres => Arc::new(
            gridwalk_sync::store::postgres::PgStore::connect(
                &gridwalk_sync::testkit::pg_url(),
                w.schema.as_deref(),
            )
            .await
            .unwrap(),
        ),
    };
    let v = admin::verify(again.as_ref(), &w.blobs).await.unwrap();
    one(&v.findings, "report_versions", "version 1");
    w.done().await;
}

on_every_backend!(
    a_clean_store_verifies,
    a_version_with_changed_text_is_named,
    an_approval_given_to_another_person_is_named,
    a_changed_report_row_is_named,
    a_removed_version_is_named,
    an_overwritten_photo_file_is_named_and_not_served,
    a_changed_or_removed_administrative_act_is_named,
    an_exported_case_checks_without_the_database,
    rows_from_before_the_chains_are_chained_once_on_open,
);
