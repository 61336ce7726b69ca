//! Gridwalk's system tests: real field engines against a real sync server, over real HTTP
//! (and through `gridwalk-netem` where the link matters), on SQLite and on PostgreSQL.
//! This library is what they share: a server on port 0 over a case store of either kind
//! and a real blob directory, field engines with reports captured offline, the server's
//! binary, and the third-party tools some tests drive. The tests are in `sync/`, the
//! benchmarks that drive whole systems in `benches/` (see `tests/Cargo.toml`).
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use gridwalk_field::{DraftPatch, Engine, FieldConfig, Inspector, Reference};
use gridwalk_protocol::{Crs, Kind, Location, LocationProvider, PhotoStage};
use gridwalk_sync::blobs::BlobStore;
use gridwalk_sync::services::admin;
use gridwalk_sync::services::uploads::UploadSettings;
use gridwalk_sync::store::CaseStore;
use gridwalk_sync::{AppState, app, serve};

pub use gridwalk_sync::on_every_backend;
pub use gridwalk_sync::testkit::{Backend, case_store, fixtures, pg_execute, pg_url};

/// The workspace's target directory.
#[must_use]
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// A benchmark's setting: from the environment variable `name` if set, else the full
/// default, or the quick one when `GRIDWALK_BENCH_QUICK=1` (the short run inside the test
/// command, which still exercises every part of a benchmark).
#[must_use]
pub fn bench_setting<T: std::str::FromStr>(name: &str, full: T, quick: T) -> T {
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

/// A binary of the workspace (`gridwalk-sync`, `gridwalk-field`), built now if it is
/// missing or older than its sources (cargo decides; a no-op when it is fresh). It builds
/// as `cargo test --workspace` does, with the whole workspace's features: `cargo build -p`
/// would resolve other features and compile the server and its dependencies a second time.
/// Cargo is asked once per test binary: the tests that run side by side wait for that one
/// build instead of each queueing for Cargo's lock.
#[must_use]
pub fn binary(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = std::process::Command::new(cargo)
            .args(["test", "--workspace", "--no-run", "--quiet"])
            .status()
            .unwrap();
        assert!(ok.success(), "building the workspace's binaries");
    });
    target_dir().join("debug").join(name)
}

/// The real `gridwalk-sync` binary pointed at a case store of its own: a fresh data
/// directory, and for PostgreSQL a fresh schema it reaches through `--db` (its URL sets the
/// `search_path`). Nothing is loaded; [`BinaryCentre::with_fixtures`] loads the fixtures
/// with the binary's own `admin load-fixtures`.
#[derive(Debug)]
pub struct BinaryCentre {
    pub bin: PathBuf,
    /// The global flags every run gets: `--data-dir`, and `--db` for PostgreSQL.
    pub args: Vec<String>,
    /// Where the embedded case store (`cases.db`) and the local photos (`blobs/`) live.
    pub data_dir: PathBuf,
    pub pg_schema: Option<String>,
    _dir: tempfile::TempDir,
}

/// How a run of the binary ended.
#[derive(Debug)]
pub struct Ran {
    pub args: Vec<String>,
    /// The exit code (`None` when a signal ended it).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its standard output, trimmed, having checked that it exited 0.
    #[must_use]
    pub fn ok(self) -> String {
        assert_eq!(
            self.code,
            Some(0),
            "gridwalk-sync {:?} failed: {}",
            self.args,
            self.stderr
        );
        self.stdout.trim().to_owned()
    }
}

impl BinaryCentre {
    /// An empty case store of the given kind.
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut args = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
        let mut pg_schema = None;
        if let Backend::Postgres = backend {
            let schema = format!("gw_test_{}", uuid::Uuid::now_v7().simple());
            pg_execute(&format!("CREATE SCHEMA {schema}")).await;
            let sep = if pg_url().contains('?') { '&' } else { '?' };
            args.push("--db".into());
            args.push(format!(
                "{}{sep}options=-c%20search_path%3D{schema}",
                pg_url()
            ));
            pg_schema = Some(schema);
        }
        Self {
            bin: binary("gridwalk-sync"),
            args,
            data_dir,
            pg_schema,
            _dir: dir,
        }
    }

    /// A case store with the fixtures loaded.
    pub async fn with_fixtures(backend: Backend) -> Self {
        let centre = Self::new(backend).await;
        centre
            .admin(&["load-fixtures", fixtures().to_str().unwrap()])
            .await;
        centre
    }

    /// Runs `gridwalk-sync <args>` with `input` on its standard input, whatever its exit.
    pub async fn run(&self, args: &[&str], input: &str) -> Ran {
        use tokio::io::AsyncWriteExt;
        let mut child = tokio::process::Command::new(&self.bin)
            .args(&self.args)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        Ran {
            args: args.iter().map(|&a| a.to_owned()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// `gridwalk-sync admin <rest>`, which must succeed; its standard output, trimmed.
    pub async fn admin(&self, rest: &[&str]) -> String {
        self.run(&[&["admin"], rest].concat(), "").await.ok()
    }

    /// `admin enroll-device` of `device` for the demo inspector; the token it printed.
    pub async fn enroll(&self, device: gridwalk_protocol::DeviceId) -> String {
        let token = self
            .admin(&[
                "enroll-device",
                "--user",
                INSPECTOR,
                "--device",
                &device.to_string(),
            ])
            .await;
        assert_eq!(token.len(), 64, "a bare token: {token:?}");
        token
    }

    /// Starts `serve --listen <listen>` with `extra` flags and waits until it listens; the
    /// process (killed when dropped) and the address it printed. Its log goes to this
    /// test's output, which the harness shows when the test fails.
    pub async fn start(&self, listen: &str, extra: &[String]) -> (tokio::process::Child, String) {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = tokio::process::Command::new(&self.bin)
            .args(&self.args)
            .args(["serve", "--listen", listen])
            .args(extra)
            // Away from the checkout, so nothing it serves can come from `ui/dist` on disk.
            .current_dir(self._dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = log.next_line().await {
                eprintln!("gridwalk-sync: {line}");
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        let url = first.strip_prefix("listening on ").unwrap().to_owned();
        (child, url)
    }

    /// Drops the PostgreSQL schema (left in place when a test fails, for a look).
    pub async fn finish(self) {
        gridwalk_sync::testkit::drop_schema(self.pg_schema).await;
    }
}

#[derive(Debug)]
pub struct Server {
    pub url: String,
    pub store: Arc<dyn CaseStore>,
    pub blobs: BlobStore,
    pub blobs_dir: PathBuf,
    pub pg_schema: Option<String>,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Drops the test's PostgreSQL schema (left in place when a test fails, for a look).
    pub async fn finish(self) {
        gridwalk_sync::testkit::drop_schema(self.pg_schema).await;
    }
}

pub async fn server(backend: Backend) -> Server {
    server_with(backend, UploadSettings::default()).await
}

pub async fn server_with(backend: Backend, uploads: UploadSettings) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server_on(backend, uploads, listener).await
}

pub async fn server_on(
    backend: Backend,
    uploads: UploadSettings,
    listener: tokio::net::TcpListener,
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (store, pg_schema) = case_store(backend, dir.path()).await;
    serve(store, pg_schema, dir, uploads, listener)
}

/// Serves an already prepared case store.
pub fn serve(
    store: Arc<dyn CaseStore>,
    pg_schema: Option<String>,
    dir: tempfile::TempDir,
    uploads: UploadSettings,
    listener: tokio::net::TcpListener,
) -> Server {
    let blobs_dir = dir.path().join("blobs");
    let blobs = BlobStore::local(&blobs_dir).unwrap();
    serve_blobs(store, pg_schema, dir, uploads, listener, blobs, blobs_dir)
}

/// Serves a prepared case store with the given blob store (`blobs_dir` is where a local
/// one keeps its files).
pub fn serve_blobs(
    store: Arc<dyn CaseStore>,
    pg_schema: Option<String>,
    dir: tempfile::TempDir,
    uploads: UploadSettings,
    listener: tokio::net::TcpListener,
    blobs: BlobStore,
    blobs_dir: PathBuf,
) -> Server {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(Arc::clone(&store), blobs.clone(), uploads);
    serve_state(state, pg_schema, dir, listener, blobs_dir, url)
}

/// A server at the production defaults except that each device may push as fast as it
/// likes: for tests that drive devices harder than any tablet (the race, 200 rounds a few
/// seconds long).
pub async fn server_unthrottled(backend: Backend) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, pg_schema) = case_store(backend, dir.path()).await;
    let blobs_dir = dir.path().join("blobs");
    let blobs = BlobStore::local(&blobs_dir).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state =
        AppState::new(store, blobs, UploadSettings::default()).with_push_rate(100_000, 100_000);
    serve_state(state, pg_schema, dir, listener, blobs_dir, url)
}

fn serve_state(
    state: AppState,
    pg_schema: Option<String>,
    dir: tempfile::TempDir,
    listener: tokio::net::TcpListener,
    blobs_dir: PathBuf,
    url: String,
) -> Server {
    let (store, blobs) = (Arc::clone(&state.store), state.blobs.clone());
    // Callbacks to ports are delivered as the binary delivers them, retried after a second
    // (not a minute) so a test sees a retry, to receivers on this machine.
    tokio::spawn(gridwalk_sync::services::ports::deliver_forever(
        Arc::clone(&store),
        std::time::Duration::from_secs(1),
        true,
    ));
    let state = state.with_private_callbacks(true);
    let router = app(state);
    // Served as the binary serves it: with its timeouts and its cap on requests in flight.
    let limits = serve::Limits::default();
    let router = serve::limited(router, limits);
    tokio::spawn(async move {
        serve::serve(listener, router, limits, std::future::pending())
            .await
            .unwrap();
    });
    Server {
        url,
        store,
        blobs,
        blobs_dir,
        pg_schema,
        dir,
    }
}

/// The demo inspector every device here reports as.
pub const INSPECTOR: &str = "lixiaoming";

/// An engine signed in as the first demo inspector, with nothing captured yet.
pub fn signed_in_engine(dir: &Path) -> Engine {
    signed_in_engine_with(dir, &fixtures())
}

/// The same, with reference data (code table, grid) from another directory.
pub fn signed_in_engine_with(dir: &Path, reference: &Path) -> Engine {
    engine_signed_in_as(FieldConfig::new(dir), reference, INSPECTOR)
}

/// An engine signed in as the demo inspector with `login`, with nothing captured yet.
pub fn signed_in_engine_as(dir: &Path, login: &str) -> Engine {
    engine_signed_in_as(FieldConfig::new(dir), &fixtures(), login)
}

/// The same, with an engine set up as `config` says (how it reaches the centre, say).
pub fn signed_in_engine_from(config: FieldConfig, reference: &Path) -> Engine {
    engine_signed_in_as(config, reference, INSPECTOR)
}

fn engine_signed_in_as(config: FieldConfig, reference: &Path, login: &str) -> Engine {
    let engine = Engine::open(config, Reference::load(reference).unwrap()).unwrap();
    let users: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("users.json")).unwrap())
            .unwrap();
    let u = users.iter().find(|u| u["login"] == login).unwrap();
    engine
        .sign_in(&Inspector::new(
            u["id"].as_str().unwrap().parse().unwrap(),
            vec![],
        ))
        .unwrap();
    engine
}

/// Captures and submits one report (event 0507) with these photos.
pub fn capture(engine: &Engine, photos: &[PathBuf], kind_category: (Kind, &str)) {
    let d = engine.create_draft().unwrap();
    for p in photos {
        engine.add_photo(d.id, p, PhotoStage::Before).unwrap();
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
                kind: Some(kind_category.0),
                category: Some(kind_category.1.parse().unwrap()),
                ..DraftPatch::default()
            },
        )
        .unwrap();
    engine.finalize(d.id).unwrap();
}

/// The common case: street rubbish (event 0507).
pub const RUBBISH: (Kind, &str) = (Kind::Event, "0507");

/// An engine signed in as the first demo inspector, with `n` reports finalized offline;
/// the first has one photo.
pub fn device_with_reports(dir: &Path, n: usize) -> Engine {
    let engine = signed_in_engine(dir);
    for i in 0..n {
        let photos = if i == 0 {
            vec![fixtures().join("photos/orient-1.jpg")]
        } else {
            vec![]
        };
        capture(&engine, &photos, RUBBISH);
    }
    engine
}

/// Enrolls the engine's device for the second demo inspector, not the one it reports as.
pub async fn enroll_for_another_inspector(s: &Server, engine: &Engine) -> String {
    let users: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("users.json")).unwrap())
            .unwrap();
    let other = users
        .iter()
        .filter(|u| u["role"] == "inspector")
        .nth(1)
        .unwrap();
    admin::enroll_device(
        s.store.as_ref(),
        other["login"].as_str().unwrap(),
        engine.device_id(),
    )
    .await
    .unwrap()
}

/// A Python virtualenv under Cargo's target directory with the pinned third-party tools
/// the tests drive (a tus client, an S3 server), made once per test binary (needs
/// `python3-venv` and PyPI).
pub fn python_venv() -> PathBuf {
    static VENV: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);
    const PACKAGES: &[&str] = &["tuspy==1.1.0", "moto[server]==5.2.5"];
    let mut venv = VENV
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(bin) = venv.as_ref() {
        return bin.clone();
    }
    let dir = target_dir().join("tmp").join("py-venv");
    let bin = dir.join("bin");
    let ready = || {
        std::process::Command::new(bin.join("python"))
            .args(["-c", "import tusclient, moto.server"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready() {
        let made = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(
            made.success(),
            "python3 -m venv failed (apt-get install python3-venv)"
        );
        let installed = std::process::Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PACKAGES)
            .status()
            .unwrap();
        assert!(installed.success(), "pip install {PACKAGES:?} failed");
        assert!(ready(), "the tools do not import after installing");
    }
    *venv = Some(bin.clone());
    bin
}

/// Enrolls the engine's device for the demo inspector; returns the token.
pub async fn enroll(s: &Server, engine: &Engine) -> String {
    admin::enroll_device(s.store.as_ref(), INSPECTOR, engine.device_id())
        .await
        .unwrap()
}

/// Points the engine at `url` with `token` and returns its client.
pub fn connect(engine: &Engine, url: &str, token: &str) -> gridwalk_field::sync::SyncClient {
    engine.configure_sync(url, token).unwrap();
    gridwalk_field::sync::SyncClient::new(&engine.sync_settings().unwrap().unwrap()).unwrap()
}

/// Where the engine keeps a photo's upload derivative, by SHA-256.
pub fn device_photo_path(engine_dir: &Path, sha256: &str) -> PathBuf {
    engine_dir
        .join("photos")
        .join(&sha256[..2])
        .join(format!("{sha256}.jpg"))
}

/// The bytes of a photo file the engine holds, by SHA-256.
pub fn device_photo(engine_dir: &Path, sha256: &str) -> Vec<u8> {
    std::fs::read(device_photo_path(engine_dir, sha256)).unwrap()
}

/// Sends the engine's outbox (records only, no photos) and settles the answers.
pub async fn push_records(engine: &Engine, client: &gridwalk_field::sync::SyncClient) {
    let req = engine.push_request("test").unwrap();
    engine
        .settle_push(&client.push(&req).await.unwrap())
        .unwrap();
}

/// Who signs a push built by hand: a field engine (with its own key), or a [`Tablet`].
pub trait Signer {
    fn device(&self) -> gridwalk_protocol::DeviceId;
    fn public_key(&self) -> String;
    fn sign(&self, m: &mut gridwalk_protocol::Mutation);
}

impl Signer for Engine {
    fn device(&self) -> gridwalk_protocol::DeviceId {
        self.device_id()
    }

    fn public_key(&self) -> String {
        Engine::public_key(self).unwrap()
    }

    fn sign(&self, m: &mut gridwalk_protocol::Mutation) {
        Engine::sign(self, m).unwrap();
    }
}

/// A device ID and a signing key, for a device the test plays without an engine.
#[derive(Debug)]
pub struct Tablet {
    pub id: gridwalk_protocol::DeviceId,
    pub key: ed25519_dalek::SigningKey,
}

impl Tablet {
    /// A new device with a new key.
    #[must_use]
    pub fn new() -> Self {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
        Self {
            id: gridwalk_protocol::DeviceId::new(),
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }
}

impl Default for Tablet {
    fn default() -> Self {
        Self::new()
    }
}

impl Signer for Tablet {
    fn device(&self) -> gridwalk_protocol::DeviceId {
        self.id
    }

    fn public_key(&self) -> String {
        gridwalk_protocol::signing::encode_public_key(&self.key.verifying_key())
    }

    fn sign(&self, m: &mut gridwalk_protocol::Mutation) {
        m.signature = Some(gridwalk_protocol::signing::sign(&self.key, m));
    }
}

/// A push of `mutations` from `signer`'s device, as a tablet would send it (each mutation
/// signed as it stands, the public key offered), with an empty backlog.
#[must_use]
pub fn push_of(
    signer: &impl Signer,
    mutations: Vec<gridwalk_protocol::Mutation>,
) -> gridwalk_protocol::PushRequest {
    let mut req = unsigned_push_of(signer, mutations);
    for m in &mut req.mutations {
        signer.sign(m);
    }
    req
}

/// The same, sending each mutation's signature as it is (none, stale or forged).
#[must_use]
pub fn unsigned_push_of(
    signer: &impl Signer,
    mutations: Vec<gridwalk_protocol::Mutation>,
) -> gridwalk_protocol::PushRequest {
    gridwalk_protocol::PushRequest {
        device: signer.device(),
        app_version: "test".into(),
        device_model: None,
        queue: gridwalk_protocol::QueueStats::default(),
        mutations,
        public_key: Some(signer.public_key()),
    }
}

/// `POST /v1/push` with `token`, over plain HTTP (for what the engine would never send).
pub async fn post_push(
    s: &Server,
    token: &str,
    body: &gridwalk_protocol::PushRequest,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/push", s.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A tus creation (`POST /v1/uploads/`) for `photo` of `report`, with no body.
pub async fn tus_create(
    s: &Server,
    token: &str,
    report: gridwalk_protocol::ReportId,
    photo: &gridwalk_protocol::PhotoRef,
) -> reqwest::Response {
    use gridwalk_protocol::tus;
    let (report, id) = (report.to_string(), photo.id.to_string());
    reqwest::Client::new()
        .post(format!("{}/v1/uploads/", s.url))
        .bearer_auth(token)
        .header(tus::header::TUS_RESUMABLE, tus::VERSION)
        .header(tus::header::UPLOAD_LENGTH, photo.bytes.to_string())
        .header(
            tus::header::UPLOAD_METADATA,
            tus::encode_metadata([
                (tus::meta::REPORT, report.as_str()),
                (tus::meta::PHOTO, id.as_str()),
            ]),
        )
        .send()
        .await
        .unwrap()
}

/// A tus `PATCH` of `body` at `offset` to the upload at `path` (from [`upload_path`]).
pub async fn tus_patch(
    s: &Server,
    token: &str,
    path: &str,
    offset: u64,
    body: Vec<u8>,
) -> reqwest::Response {
    use gridwalk_protocol::tus;
    reqwest::Client::new()
        .patch(format!("{}{path}", s.url))
        .bearer_auth(token)
        .header(tus::header::TUS_RESUMABLE, tus::VERSION)
        .header(tus::header::UPLOAD_OFFSET, offset.to_string())
        .header(reqwest::header::CONTENT_TYPE, tus::OFFSET_OCTET_STREAM)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The path of the upload a creation answered with (its `Location`, relative or absolute).
#[must_use]
pub fn upload_path(created: &reqwest::Response) -> String {
    let l = created.headers()["location"].to_str().unwrap();
    l.find("/v1/").map_or(l, |i| &l[i..]).to_owned()
}

/// A citizen's 随手拍 report part (`PublicReport` as JSON) at the place of
/// [`hotline_call`], fixed by the phone's satellites now, naming `photos`.
pub fn citizen_report(
    description: &str,
    photos: &[gridwalk_protocol::PhotoId],
) -> serde_json::Value {
    let mut report = hotline_call("unused", description);
    let o = report.as_object_mut().unwrap();
    o.remove("caller_ref");
    o.remove("observed_at");
    o.insert("key".into(), serde_json::json!(uuid::Uuid::now_v7()));
    o.insert("photo_ids".into(), serde_json::json!(photos));
    o.get_mut("location").unwrap()["provider"] = serde_json::json!("gps");
    report
}

/// A 随手拍 submission as the page sends it: the report part, then each photo.
pub fn citizen_form(report: &serde_json::Value, photos: &[Vec<u8>]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().part(
        "report",
        reqwest::multipart::Part::text(report.to_string())
            .mime_str("application/json")
            .unwrap(),
    );
    for (i, p) in photos.iter().enumerate() {
        form = form.part(
            "photo",
            reqwest::multipart::Part::bytes(p.clone())
                .file_name(format!("photo-{i}.jpg"))
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    form
}

/// A call to the 12345 hotline, as its system files it: at the demo inspector's cell.
pub fn hotline_call(caller_ref: &str, description: &str) -> serde_json::Value {
    let now = Utc::now();
    let local = (now - chrono::Duration::minutes(5))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    serde_json::json!({
        "caller_ref": caller_ref,
        "kind": "event",
        "category": "0507",
        "description": description,
        "address": "蓬江区建设路 12 号门口",
        "location": {
            "lon": 113.0631, "lat": 22.5983, "crs": "WGS84", "accuracy_m": 20.0,
            "fix_time": now, "provider": "manual"
        },
        "observed_at": local,
    })
}

/// A camera's picture of a QR code saying `text`: the code drawn black on white with its
/// quiet zone, `module` pixels a module, in the middle of a grey 1600×1200 frame, as a JPEG
/// (quality 85), the way a tablet photographs the console's screen.
pub fn qr_jpeg(text: &str, module: u32) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let n = u32::try_from(code.width()).unwrap();
    let colors = code.to_colors();
    let (fw, fh) = (1600u32, 1200u32);
    let side = (n + 8) * module;
    let (x0, y0) = ((fw - side) / 2, (fh - side) / 2);
    let frame = image::GrayImage::from_fn(fw, fh, |x, y| {
        let inside = x >= x0 && y >= y0 && x < x0 + side && y < y0 + side;
        if !inside {
            return image::Luma([110]);
        }
        let (mx, my) = ((x - x0) / module, (y - y0) / module);
        let dark = mx >= 4
            && my >= 4
            && mx < n + 4
            && my < n + 4
            && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 20 } else { 235 }])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&frame)
        .unwrap();
    out
}

/// A console session of `login` on `s`: their password set to `password`, then signed in
/// over HTTP; the session's bearer token.
pub async fn console_session(s: &Server, login: &str, password: &str) -> String {
    admin::set_password(s.store.as_ref(), login, password)
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/console/session", s.url))
        .json(&serde_json::json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{login} signs in");
    let v: serde_json::Value = resp.json().await.unwrap();
    v["token"].as_str().unwrap().to_owned()
}
