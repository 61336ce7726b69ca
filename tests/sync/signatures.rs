//! Evidence integrity, on the device's side of the wire (issue 13, Deliver 5): every
//! mutation is signed by its device's own Ed25519 key over a canonical form that includes
//! the photos' SHA-256; the centre checks every signature before applying anything, and
//! keeps each with what it produced. On both backends.
#![allow(clippy::unwrap_used)]

use gridwalk_protocol::signing::{decode_public_key, verify_form};
use gridwalk_protocol::{ApiError, DeviceKey, MutationBody, PushResponse};
use gridwalk_sync::services::admin;
use gridwalk_system_tests::*;

/// Rows of `sql` (every column cast to text by the query) from the server's database.
async fn rows(s: &Server, sql: &str) -> Vec<Vec<Option<String>>> {
    match &s.pg_schema {
        None => {
            let conn = rusqlite::Connection::open(s.dir.path().join("cases.db")).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
        Some(schema) => {
            let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .await
                .unwrap();
            client
                .query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
                .collect()
        }
    }
}

async fn nothing_applied(s: &Server, engine: &gridwalk_field::Engine) {
    assert_eq!(s.store.report_count().await.unwrap(), 0, "no report stored");
    assert_eq!(s.store.last_applied(engine.device_id()).await.unwrap(), 0);
    let kept = rows(s, "SELECT CAST(mutation_id AS TEXT) FROM signed_mutations").await;
    assert!(kept.is_empty(), "no signature kept: {kept:?}");
}

async fn refused(resp: reqwest::Response, status: u16) -> ApiError {
    assert_eq!(resp.status(), status);
    resp.json().await.unwrap()
}

fn report_of(m: &mut gridwalk_protocol::Mutation) -> &mut gridwalk_protocol::Report {
    match &mut m.body {
        MutationBody::SubmitReport { report } => report,
        other => panic!("not a submission: {other:?}"),
    }
}

/// A device with one report (with a photo), enrolled: its engine, token and the data dir.
async fn tablet(s: &Server) -> (gridwalk_field::Engine, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let engine = device_with_reports(dir.path(), 1);
    let token = enroll(s, &engine).await;
    (engine, token, dir)
}

async fn a_mutation_changed_after_signing_is_refused_and_nothing_is_stored(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, _dir) = tablet(&s).await;
    let mut req = engine.push_request("test").unwrap();
    report_of(&mut req.mutations[0]).description = "TAMPERED".into();
    let err = refused(post_push(&s, &token, &req).await, 422).await;
    assert_eq!(err.error, "bad_signature");
    assert!(
        err.message.contains("mutation 1") && err.message.contains("nothing was applied"),
        "{}",
        err.message
    );
    nothing_applied(&s, &engine).await;
    s.finish().await;
}

async fn a_photo_hash_swapped_after_signing_is_refused(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, _dir) = tablet(&s).await;
    let mut req = engine.push_request("test").unwrap();
    report_of(&mut req.mutations[0]).photos[0].sha256 = "ab".repeat(32);
    let err = refused(post_push(&s, &token, &req).await, 422).await;
    assert!(err.message.contains("mutation 1"), "{}", err.message);
    nothing_applied(&s, &engine).await;
    s.finish().await;
}

async fn a_push_signed_by_another_devices_key_is_refused(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, _dir) = tablet(&s).await;
    let thief = Tablet::new();
    let mutations = engine.pending_mutations(10).unwrap();
    // The device's key is bound; the mutations are signed by another key.
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/device/key", s.url))
        .bearer_auth(&token)
        .json(&DeviceKey {
            public_key: engine.public_key().unwrap(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut forged = push_of(&thief, mutations.clone());
    forged.device = engine.device_id();
    forged.public_key = None;
    let err = refused(post_push(&s, &token, &forged).await, 422).await;
    assert!(err.message.contains("mutation 1"), "{}", err.message);
    // Offering its own key as well: the key is not the one bound to the device.
    forged.public_key = Some(thief.public_key());
    let err = refused(post_push(&s, &token, &forged).await, 409).await;
    assert_eq!(err.error, "key_mismatch");
    assert!(err.message.contains("enroll"), "{}", err.message);
    nothing_applied(&s, &engine).await;
    s.finish().await;
}

async fn a_signed_push_is_applied_and_its_signatures_kept(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, _dir) = tablet(&s).await;
    let client = connect(&engine, &s.url, &token);
    push_records(&engine, &client).await;
    let report = engine.push_request("test").unwrap();
    assert!(report.mutations.is_empty(), "settled");
    assert_eq!(s.store.report_count().await.unwrap(), 1);
    assert_eq!(
        s.store
            .device_key(engine.device_id())
            .await
            .unwrap()
            .as_deref(),
        Some(engine.public_key().unwrap().as_str()),
        "bound by the first push"
    );
    let kept = rows(
        &s,
        "SELECT CAST(m.mutation_id AS TEXT), m.public_key, m.signature, m.signed, v.signature
           FROM signed_mutations m
           JOIN report_versions v ON v.by_device = m.device_id AND v.mutation_id = m.mutation_id",
    )
    .await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    let row = &kept[0];
    assert_eq!(row[0].as_deref(), Some("1"));
    assert_eq!(row[4], row[2], "the version carries the signature");
    // Checkable later from what is kept alone.
    let key = decode_public_key(row[1].as_deref().unwrap()).unwrap();
    let form = row[3].as_deref().unwrap();
    assert!(form.starts_with("gridwalk-mutation/v1\n"));
    assert_eq!(
        verify_form(&key, 1, form.as_bytes(), row[2].as_deref()),
        Ok(())
    );
    let bent = form.replacen("\"op\":\"submit_report\"", "\"op\":\"submit_reportX\"", 1);
    assert_ne!(bent, form);
    assert!(verify_form(&key, 1, bent.as_bytes(), row[2].as_deref()).is_err());
    s.finish().await;
}

async fn keys_are_bound_once_per_enrollment(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, _dir) = tablet(&s).await;
    let register = |token: String, key: String| {
        let url = format!("{}/v1/device/key", s.url);
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&DeviceKey { public_key: key })
                .send()
                .await
                .unwrap()
        }
    };
    let own = engine.public_key().unwrap();
    let other = Tablet::new().public_key();
    assert_eq!(register(token.clone(), own.clone()).await.status(), 200);
    assert_eq!(
        register(token.clone(), own.clone()).await.status(),
        200,
        "the same key again"
    );
    let err = refused(register(token.clone(), other.clone()).await, 409).await;
    assert_eq!(err.error, "key_mismatch");
    let err = refused(register(token.clone(), "abc".into()).await, 400).await;
    assert!(err.message.contains("base64"), "{}", err.message);
    assert_eq!(register("stranger".into(), own.clone()).await.status(), 401);

    // Enrolled again (a reinstalled tablet has a new key): the new key is taken.
    let token = admin::enroll_device(s.store.as_ref(), INSPECTOR, engine.device_id())
        .await
        .unwrap();
    assert_eq!(register(token.clone(), other).await.status(), 200);
    s.finish().await;
}

async fn unsigned_changes_are_refused(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, _dir) = tablet(&s).await;
    // A device that offers no key (an app older than signing) may report its backlog, but
    // no change is applied.
    let mut req = engine.push_request("test").unwrap();
    req.public_key = None;
    let err = refused(post_push(&s, &token, &req).await, 422).await;
    assert!(err.message.contains("signing key"), "{}", err.message);
    let backlog = gridwalk_protocol::PushRequest {
        mutations: vec![],
        ..req.clone()
    };
    let resp: PushResponse = post_push(&s, &token, &backlog).await.json().await.unwrap();
    assert_eq!(resp.last_applied, 0);
    // With the key, a mutation without its signature is named.
    let mut req = engine.push_request("test").unwrap();
    req.mutations[0].signature = None;
    let err = refused(post_push(&s, &token, &req).await, 422).await;
    assert!(
        err.message.contains("mutation 1 is not signed"),
        "{}",
        err.message
    );
    nothing_applied(&s, &engine).await;
    s.finish().await;
}

async fn enrolling_registers_the_devices_key(backend: Backend) {
    let s = server(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = signed_in_engine(dir.path());
    let token = enroll(&s, &engine).await;
    engine.enroll(&s.url, &token).await.unwrap();
    assert_eq!(
        s.store.device_key(engine.device_id()).await.unwrap(),
        Some(engine.public_key().unwrap())
    );
    s.finish().await;
}

/// The evidence package of a tablet's report carries the signed form, the key and the
/// signature, and the checker ties the record to them; the chain covers the signature, so
/// one changed in the database is named by `admin verify`, and a kept form changed there
/// stops the export.
async fn a_case_package_carries_the_tablets_signature(backend: Backend) {
    let s = server(backend).await;
    let (engine, token, dir) = tablet(&s).await;
    let client = connect(&engine, &s.url, &token);
    assert_eq!(engine.sync_once(&client, "test").await.unwrap().sent, 1);
    let report = engine.reports(gridwalk_field::ReportState::Sent).unwrap()[0].id;
    let out = dir.path().join("package");
    admin::export_case(s.store.as_ref(), &s.blobs, &report.to_string(), &out)
        .await
        .unwrap();
    let checked = gridwalk_evidence::package::check(&out).unwrap();
    assert_eq!(
        (checked.signatures.signed, checked.signatures.unsigned.len()),
        (1, 0)
    );
    assert_eq!(
        checked.signatures.keys,
        [(
            engine.device_id().to_string(),
            gridwalk_evidence::signatures::fingerprint(&engine.public_key().unwrap())
        )]
    );

    // Another (well-formed) signature put on the version: the chain names it.
    assert!(
        admin::verify(s.store.as_ref(), &s.blobs)
            .await
            .unwrap()
            .findings
            .is_empty()
    );
    rows(
        &s,
        &format!(
            "UPDATE report_versions SET signature = '{}'",
            "A".repeat(86) + "=="
        ),
    )
    .await;
    let findings = admin::verify(s.store.as_ref(), &s.blobs)
        .await
        .unwrap()
        .findings;
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0].entry.starts_with("version 1"), "{findings:#?}");
    rows(
        &s,
        "UPDATE report_versions SET signature = (SELECT signature FROM signed_mutations)",
    )
    .await;
    assert!(
        admin::verify(s.store.as_ref(), &s.blobs)
            .await
            .unwrap()
            .findings
            .is_empty()
    );

    // The kept signed form changed: the export refuses, naming the version.
    rows(
        &s,
        "UPDATE signed_mutations SET signed = REPLACE(signed, '\"op\":\"submit_report\"', '\"op\":\"submit_report\" ')",
    )
    .await;
    let e = admin::export_case(
        s.store.as_ref(),
        &s.blobs,
        &report.to_string(),
        &dir.path().join("never"),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("signatures") && e.to_string().contains("version 1"),
        "{e}"
    );
    s.finish().await;
}

on_every_backend!(
    a_case_package_carries_the_tablets_signature,
    a_mutation_changed_after_signing_is_refused_and_nothing_is_stored,
    a_photo_hash_swapped_after_signing_is_refused,
    a_push_signed_by_another_devices_key_is_refused,
    a_signed_push_is_applied_and_its_signatures_kept,
    keys_are_bound_once_per_enrollment,
    unsigned_changes_are_refused,
    enrolling_registers_the_devices_key,
);
