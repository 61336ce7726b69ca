//! `gridwalk-sync`: the sync server and its admin commands.
//!
//! `serve` with no options runs on an embedded SQLite case store with photos on disk, both
//! under `./gridwalk-sync-data`. Settings come from flags, then `GRIDWALK_SYNC_*`
//! environment variables, then a TOML file (`--config`), then defaults ([`config`]).
//! The admin commands print bare values on stdout (an ID, a token) so scripts can capture
//! them; everything else goes to stderr. A reader that stops reading (`| head`) ends the
//! command quietly: output goes through [`out!`], which returns the write's error where
//! `println!` would panic.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use gridwalk_protocol::{DeviceId, UserId};
use gridwalk_sync::blobs::BlobStore;
use gridwalk_sync::config::{self, FileSettings};
use gridwalk_sync::domain::feed::TOMBSTONE_TTL;
use gridwalk_sync::domain::model::User;
use gridwalk_sync::services::{admin, uploads};
use gridwalk_sync::store::CaseStore;
use gridwalk_sync::store::postgres::PgStore;
use gridwalk_sync::store::sqlite::SqliteStore;
use gridwalk_sync::{AppState, app, logging, serve, tls};

/// `println!` that returns the write's error (a reader that went away) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

#[derive(Parser)]
#[command(name = "gridwalk-sync", version, about = "The Gridwalk sync server")]
struct Cli {
    /// A TOML settings file (keys: data_dir, db, blobs, listen, max_upload_bytes,
    /// upload_ttl_hours, max_in_flight, callback_retry_seconds, callback_allow_private,
    /// public_reports_per_hour, tls_cert, tls_key, public_url); flags and environment
    /// variables override it.
    #[arg(long, env = "GRIDWALK_SYNC_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Where the embedded case store and local photos live [default: gridwalk-sync-data].
    #[arg(long, env = "GRIDWALK_SYNC_DATA", global = true)]
    data_dir: Option<PathBuf>,
    /// The case store: omit for embedded SQLite under the data directory, or give a
    /// `postgres://user:password@host/db` URL.
    #[arg(long, env = "GRIDWALK_SYNC_DB", global = true)]
    db: Option<String>,
    /// Where photos go: a directory [default: <data-dir>/blobs] or `s3://bucket/prefix`
    /// (credentials and region from the AWS_* environment variables).
    #[arg(long, env = "GRIDWALK_SYNC_BLOBS", global = true)]
    blobs: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8750]; port 0 picks a free port (the
        /// address is printed on stdout).
        #[arg(long, env = "GRIDWALK_SYNC_LISTEN")]
        listen: Option<SocketAddr>,
        /// The largest photo upload accepted, in bytes [default: 33554432].
        #[arg(long, env = "GRIDWALK_SYNC_MAX_UPLOAD_BYTES")]
        max_upload_bytes: Option<u64>,
        /// Hours an unfinished upload is kept after its last request [default: 24].
        #[arg(long, env = "GRIDWALK_SYNC_UPLOAD_TTL_HOURS")]
        upload_ttl_hours: Option<u32>,
        /// Requests handled at once; more are answered 503 with Retry-After [default: 256].
        #[arg(long, env = "GRIDWALK_SYNC_MAX_IN_FLIGHT")]
        max_in_flight: Option<usize>,
        /// The first pause, in seconds, before a failed callback delivery to a port is
        /// tried again; each later pause doubles, up to 6 hours [default: 60].
        #[arg(long, env = "GRIDWALK_SYNC_CALLBACK_RETRY_SECONDS")]
        callback_retry_seconds: Option<u32>,
        /// Let ports' callbacks go to private, loopback and link-local addresses (ports on
        /// the centre's own network); without it they reach public addresses only.
        #[arg(long, env = "GRIDWALK_SYNC_CALLBACK_ALLOW_PRIVATE")]
        callback_allow_private: bool,
        /// 随手拍 reports (the public page, /public/) one address may send an hour [default: 10].
        #[arg(long, env = "GRIDWALK_SYNC_PUBLIC_REPORTS_PER_HOUR")]
        public_reports_per_hour: Option<u32>,
        /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key. The
        /// files are read again when they change (a renewal needs no restart).
        #[arg(long, env = "GRIDWALK_SYNC_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
        #[arg(long, env = "GRIDWALK_SYNC_TLS_KEY")]
        tls_key: Option<PathBuf>,
        /// The address clients use, when a reverse proxy is in front; an https:// one means
        /// the proxy ends TLS, so answers carry HSTS and cookies are Secure.
        #[arg(long, env = "GRIDWALK_SYNC_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve the console's pages from this directory (a `ui/dist` holding
        /// `console.html`) instead of the build compiled into this binary.
        #[arg(long, env = "GRIDWALK_SYNC_CONSOLE_DIR")]
        console_dir: Option<PathBuf>,
    },
    /// Administration for scripts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Load codes.json, grid/*.geojson, users.json and case-rules.json from a fixtures
    /// directory.
    LoadFixtures { dir: PathBuf },
    /// Import a city's grid cells (单元网格) from a GeoJSON, Shapefile (.shp with .dbf and
    /// .prj) or GeoPackage file in WGS-84, CGCS2000 or CGCS2000 Gauss-Krüger. The file is
    /// checked first; with any problem the report is printed (stdout), nothing changes and
    /// the exit code is 1.
    ImportGrid {
        file: PathBuf,
        /// The file's CRS when it names none or names it wrongly, e.g. EPSG:4526.
        #[arg(long)]
        crs: Option<String>,
        /// Which attribute holds a field, e.g. code=WGBM (repeatable; fields: code,
        /// street_code, street_name, community_code, community_name).
        #[arg(long = "field")]
        fields: Vec<String>,
        /// A GeoPackage's layer, when it has more than one.
        #[arg(long)]
        layer: Option<String>,
        /// Overlaps and gaps up to this many square metres are not problems.
        #[arg(long, default_value_t = 1.0)]
        tolerance_m2: f64,
        /// The grid is a new area of the city, away from the cells already stored (without
        /// this, a grid far from them is taken for one read in the wrong CRS).
        #[arg(long)]
        new_area: bool,
        /// The file is the whole grid: stored cells it lacks are retired (devices drop
        /// them; reports filed in them keep their codes), and its cells may cover them.
        #[arg(long)]
        retire_missing: bool,
        /// Check and report only; store nothing.
        #[arg(long)]
        check: bool,
        /// Also write the report as JSON to this file (problems with row, code, kind, place).
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Import a city's components (部件: manhole covers, street lights, toilets …) from a
    /// GeoJSON, Shapefile or GeoPackage point layer, each with its 16-digit ID (部件编码,
    /// attribute BJBM or 部件编码 …), as for import-grid. Each must stand in a stored cell
    /// of its own district, its 小类 a 部件 category of a stored code table; with any
    /// problem the report is printed (stdout), nothing changes and the exit code is 1.
    ImportComponents {
        file: PathBuf,
        /// The file's CRS when it names none or names it wrongly, e.g. EPSG:4526.
        #[arg(long)]
        crs: Option<String>,
        /// Which attribute holds a field, e.g. id=BJBM (repeatable; fields: id, name,
        /// owner, address).
        #[arg(long = "field")]
        fields: Vec<String>,
        /// A GeoPackage's layer, when it has more than one.
        #[arg(long)]
        layer: Option<String>,
        /// The file is its districts' whole layer: stored components of those districts it
        /// lacks are retired.
        #[arg(long)]
        retire_missing: bool,
        /// Check and report only; store nothing.
        #[arg(long)]
        check: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Import a city's code table (部件/事件 大类 and 小类) from CSV or XLSX, one row per
    /// 小类 with a header row (类型, 大类代码, 大类名称, 小类代码, 小类名称, optional 英文名称),
    /// as a new table version. Every row is checked first; with any problem they are
    /// printed (stdout), nothing changes and the exit code is 1.
    ImportCodes {
        file: PathBuf,
        /// The table's version, e.g. ZZ-2026.1 (a stored version is never replaced by
        /// other content).
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "")]
        title: String,
        /// Check and report only; store nothing.
        #[arg(long)]
        check: bool,
    },
    /// Import a city's departments (处置部门) from its list (CSV or XLSX, a header row:
    /// 部门编码, 部门名称, optional 英文名称; or code, name, name_en) into the case rules:
    /// a department already there (by code) takes the list's names, a new one is added,
    /// the others stay. Every row is checked first; with any problem nothing changes and
    /// the exit code is 1.
    ImportDepartments {
        file: PathBuf,
        /// Check and report only; store nothing.
        #[arg(long)]
        check: bool,
    },
    /// Import a city's people from its list (CSV or XLSX, a header row, one person per
    /// row: 登录名, 姓名, 角色 (网格员 网格长 指挥中心 处置部门 管理员), 班组, 网格 (cell codes
    /// separated by ;), 工号, 执法记录仪, 部门; or the English names login, name, role,
    /// team, cells, badge, camera_serial, department). Every row is checked first; with any
    /// problem they are printed (stdout), nothing changes and the exit code is 1. People
    /// already there (by login) are updated and keep their devices and passwords.
    ImportPeople {
        file: PathBuf,
        /// Check and report only; store nothing.
        #[arg(long)]
        check: bool,
    },
    /// Set a console user's password (anyone but an inspector), read from the first line of
    /// standard input (so it stays out of the shell history and the process list).
    SetPassword {
        #[arg(long)]
        user: String,
    },
    /// Create or update a user; prints the user's ID.
    CreateUser {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["inspector", "leader", "operator", "department", "administrator", "service"])]
        role: String,
        #[arg(long)]
        team: Option<String>,
        /// The department code (from the case rules) of a department's clerk.
        #[arg(long)]
        department: Option<String>,
        /// Cell codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        cells: Vec<String>,
        #[arg(long)]
        badge: Option<String>,
        #[arg(long)]
        camera_serial: Option<String>,
        /// For a service account (role service): the port it files for (hotline_12345,
        /// hotline_12319, police_110, fire_119, wechat, public, leader, video).
        #[arg(long)]
        source: Option<String>,
    },
    /// Give a service account (another port's system) a token for the intake API; prints
    /// it (shown once). Its earlier tokens stop working.
    PortToken {
        #[arg(long)]
        user: String,
    },
    /// Enroll a device (by the ID it shows) for a user; prints its token.
    EnrollDevice {
        #[arg(long)]
        user: String,
        #[arg(long)]
        device: DeviceId,
    },
    /// Make a one-time enrollment code for an inspector's tablet: prints the code, the
    /// QR code's text (`gridwalk://enroll?server=…&code=…`) and when it expires. The tablet
    /// redeems it once (Settings, 扫码登记, or typed) for its own token.
    EnrollmentCode {
        #[arg(long)]
        user: String,
        /// The centre's address as the tablet reaches it.
        #[arg(long)]
        server: String,
        /// How long the code lasts (1 to 720 minutes).
        #[arg(long, default_value_t = 15)]
        minutes: u32,
        /// Also write the QR code as an SVG file.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Stop a device's token working at once (a lost or retired tablet); what it sent
    /// stays. Enrolling it again undoes this.
    RevokeDevice {
        #[arg(long)]
        device: DeviceId,
    },
    /// Stop a person's devices and console sessions working at once; what they did stays.
    DisableUser {
        #[arg(long)]
        user: String,
    },
    /// Let a disabled person work again (they sign in anew).
    EnableUser {
        #[arg(long)]
        user: String,
    },
    /// List every person: login, role, team (or department), name, and whether disabled.
    Users,
    /// List every device: ID, person, enrolled, last seen, and whether revoked.
    Devices,
    /// The latest administrative acts, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Re-walk every hash chain (each report's versions and case events, its row's seal,
    /// the administrative acts) and re-hash every photo in the blob store; print the first
    /// bad entry of each broken chain and exit non-zero, or a summary when all is intact.
    Verify,
    /// Write a case's evidence package (records, photos, chain proof, manifest) into a new
    /// directory; `gridwalk-evidence verify <dir>` checks it with no database.
    ExportCase {
        /// The report's ID or the case number (立案编号).
        case: String,
        /// The directory to create (it must not exist, or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    logging::init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of our output stopped reading (`| head`): what it wanted, it has.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gridwalk-sync: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Picks the backend once, by the URL's scheme.
async fn open_store(dir: &std::path::Path, db: Option<&str>) -> Result<Arc<dyn CaseStore>> {
    match db {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = PgStore::connect(url, None)
                .await
                .context("connecting to PostgreSQL")?;
            Ok(Arc::new(store))
        }
        Some(other) => {
            bail!("--db {other:?}: give a postgres:// URL, or omit it for embedded SQLite")
        }
        None => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = dir.join("cases.db");
            let store = SqliteStore::open(&path)
                .await
                .context("opening the case store")?;
            private(dir, &path)?;
            Ok(Arc::new(store))
        }
    }
}

/// Keeps the embedded store's data private to the account that runs the centre: its
/// directory `0700` (the photos are under it), the database and its journal files `0600`.
/// Reports carry personal data; another account on the host has no business reading them.
fn private(dir: &std::path::Path, db: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &std::path::Path, mode: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("making {} private", p.display()))
        };
        set(dir, 0o700)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", db.display()));
            if file.exists() {
                set(&file, 0o600)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, db);
    Ok(())
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM (what systemd
/// and container runtimes send). Requests in flight then finish before the server exits.
/// Writes a check's JSON report when asked, prints its words, and fails (exit code 1) when
/// it found problems: nothing was imported then.
fn checked_report(
    checked: &impl serde::Serialize,
    words: &str,
    problems: usize,
    report: Option<&std::path::Path>,
    file: &std::path::Path,
) -> Result<()> {
    if let Some(path) = report {
        std::fs::write(path, serde_json::to_vec_pretty(checked)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out!("{words}");
    match problems {
        0 => Ok(()),
        1 => bail!("{} has 1 problem; nothing was imported", file.display()),
        n => bail!("{} has {n} problems; nothing was imported", file.display()),
    }
}

async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("stopping: finishing the requests in flight");
}

/// How often expired uploads are swept away.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

async fn run(cli: Cli) -> Result<()> {
    let file = match &cli.config {
        Some(path) => FileSettings::load(path).map_err(anyhow::Error::msg)?,
        None => FileSettings::default(),
    };
    let mut flags = FileSettings {
        data_dir: cli.data_dir,
        db: cli.db,
        blobs: cli.blobs,
        ..FileSettings::default()
    };
    if let Command::Serve {
        listen,
        max_upload_bytes,
        upload_ttl_hours,
        max_in_flight,
        callback_retry_seconds,
        callback_allow_private,
        public_reports_per_hour,
        tls_cert,
        tls_key,
        public_url,
        ..
    } = &cli.command
    {
        flags.tls_cert.clone_from(tls_cert);
        flags.tls_key.clone_from(tls_key);
        flags.public_url.clone_from(public_url);
        flags.max_in_flight = *max_in_flight;
        flags.callback_retry_seconds = *callback_retry_seconds;
        flags.callback_allow_private = callback_allow_private.then_some(true);
        flags.public_reports_per_hour = *public_reports_per_hour;
        flags.listen = *listen;
        flags.max_upload_bytes = *max_upload_bytes;
        flags.upload_ttl_hours = *upload_ttl_hours;
    }
    let settings = config::resolve(flags, file);
    let transport = settings.transport().map_err(anyhow::Error::msg)?;
    // Before the store is opened: a certificate that cannot be served stops the start.
    let tls = match (&cli.command, &transport.tls) {
        (Command::Serve { .. }, Some(files)) => {
            Some(tls::acceptor(files.clone(), tls::CHECK_EVERY)?)
        }
        _ => None,
    };
    let store = open_store(&settings.data_dir, settings.db.as_deref()).await?;
    match cli.command {
        Command::Serve { console_dir, .. } => {
            let pages = gridwalk_sync::api::pages::source(console_dir.as_deref());
            let blobs = BlobStore::open(&settings.blobs)?;
            let state = AppState::new(store, blobs, settings.uploads)
                .with_private_callbacks(settings.callback_allow_private)
                .with_public_rate(settings.public_reports_per_hour);
            let listener = tokio::net::TcpListener::bind(settings.listen)
                .await
                .with_context(|| format!("listening on {}", settings.listen))?;
            let addr = listener.local_addr()?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            // Said for whoever started us; a server whose starter stopped listening serves on.
            let _ = writeln!(std::io::stdout().lock(), "listening on {scheme}://{addr}");
            if !transport.https && !addr.ip().is_loopback() {
                tracing::warn!(
                    %addr,
                    "serving plain HTTP beyond this machine: tokens and passwords cross the \
                     network in clear; give --tls-cert and --tls-key, or --public-url https://… \
                     behind a TLS proxy"
                );
            }
            tracing::info!(
                %addr,
                tls = tls.is_some(),
                https = transport.https,
                public_url = settings.public_url.as_deref(),
                data_dir = %settings.data_dir.display(),
                blobs = state.blobs.describe(),
                postgres = settings.db.is_some(),
                "gridwalk-sync serving"
            );
            let sweeper = state.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(SWEEP_EVERY);
                loop {
                    every.tick().await;
                    match uploads::sweep(sweeper.upload_stores(), chrono::Utc::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(n, "expired uploads removed"),
                        Err(e) => tracing::warn!(error = %e, "sweeping expired uploads failed"),
                    }
                    sweeper.pushes.forget_idle();
                    sweeper.public.forget_idle();
                    let before = chrono::Utc::now() - TOMBSTONE_TTL;
                    match sweeper.store.prune_feed(before).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(n, "old tombstones forgotten"),
                        Err(e) => tracing::warn!(error = %e, "pruning the change feed failed"),
                    }
                }
            });
            tokio::spawn(gridwalk_sync::services::ports::deliver_forever(
                state.store.clone(),
                settings.callback_retry,
                settings.callback_allow_private,
            ));
            let router = app(state).merge(gridwalk_sync::api::pages::routes(&pages));
            let limits = settings.limits;
            let mut router = serve::limited(router, limits);
            if transport.https {
                router = serve::over_https(router);
            }
            match tls {
                Some(tls) => serve::serve_tls(listener, tls, router, limits, shutdown()).await?,
                None => serve::serve(listener, router, limits, shutdown()).await?,
            }
            tracing::info!("gridwalk-sync stopped");
        }
        Command::Admin { command } => match command {
            AdminCommand::LoadFixtures { dir } => {
                let loaded = admin::load_fixtures(store.as_ref(), &dir).await?;
                eprintln!(
                    "loaded {} code table, {} cells, {} components, {} users and the case rules ({} departments) from {}",
                    loaded.code_tables,
                    loaded.cells,
                    loaded.components,
                    loaded.users,
                    loaded.departments,
                    dir.display()
                );
            }
            AdminCommand::ImportGrid {
                file,
                crs,
                fields,
                layer,
                tolerance_m2,
                new_area,
                retire_missing,
                check,
                report,
            } => {
                let mut options = gridwalk_gis::Options {
                    crs: crs
                        .as_deref()
                        .map(gridwalk_gis::Crs::from_name)
                        .transpose()?,
                    layer,
                    tolerance_m2,
                    new_area,
                    retire_missing,
                    ..gridwalk_gis::Options::default()
                };
                for f in &fields {
                    options.fields.set(f)?;
                }
                let done = admin::import_grid(
                    store.as_ref(),
                    admin::Actor::Cli,
                    &file,
                    &file.display().to_string(),
                    &options,
                    check,
                )
                .await?;
                checked_report(
                    &done.checked,
                    &done.checked.report(),
                    done.checked.problems.len(),
                    report.as_deref(),
                    &file,
                )?;
                if done.left_alone > 0 {
                    eprintln!(
                        "{}",
                        admin::not_in_file(done.left_alone, "cells", retire_missing, check)
                    );
                }
                if !done.holding_retired.is_empty() {
                    eprintln!(
                        "these people still hold retired cells; import the people list with \
                         their new cells: {}",
                        done.holding_retired.join(", ")
                    );
                }
                if check {
                    eprintln!("checked only (--check): nothing was stored");
                } else {
                    eprintln!(
                        "imported {} cells from {} (SHA-256 {}); devices get them in the feed",
                        done.stored,
                        file.display(),
                        done.sha256
                    );
                }
            }
            AdminCommand::ImportComponents {
                file,
                crs,
                fields,
                layer,
                retire_missing,
                check,
                report,
            } => {
                let options = gridwalk_gis::Options {
                    crs: crs
                        .as_deref()
                        .map(gridwalk_gis::Crs::from_name)
                        .transpose()?,
                    layer,
                    retire_missing,
                    ..gridwalk_gis::Options::default()
                };
                let mut names = gridwalk_gis::components::ComponentFields::default();
                for f in &fields {
                    names.set(f)?;
                }
                let done = admin::import_components(
                    store.as_ref(),
                    admin::Actor::Cli,
                    &file,
                    &file.display().to_string(),
                    &options,
                    &names,
                    check,
                )
                .await?;
                checked_report(
                    &done.checked,
                    &done.checked.report(),
                    done.checked.problems.len(),
                    report.as_deref(),
                    &file,
                )?;
                if done.missing > 0 {
                    eprintln!(
                        "{}",
                        admin::not_in_file(
                            done.missing,
                            "components of its districts",
                            retire_missing,
                            check
                        )
                    );
                }
                if check {
                    eprintln!("checked only (--check): nothing was stored");
                } else {
                    eprintln!(
                        "imported {} components from {} (SHA-256 {}); devices of their cells \
                         get them in the feed",
                        done.stored,
                        file.display(),
                        done.sha256
                    );
                }
            }
            AdminCommand::ImportDepartments { file, check } => {
                match admin::import_departments(
                    store.as_ref(),
                    admin::Actor::Cli,
                    &file,
                    &file.display().to_string(),
                    check,
                )
                .await?
                {
                    Ok(list) => {
                        for d in &list {
                            out!("{}\t{}\t{}", d.code, d.name, d.name_en);
                        }
                        eprintln!(
                            "{} departments{}",
                            list.len(),
                            if check {
                                " (checked only: nothing was stored)"
                            } else {
                                " stored in the case rules"
                            }
                        );
                    }
                    Err(problems) => {
                        for p in &problems {
                            out!("{p}");
                        }
                        bail!(
                            "{} has {} problem(s); nothing was imported",
                            file.display(),
                            problems.len()
                        );
                    }
                }
            }
            AdminCommand::ImportPeople { file, check } => {
                match admin::import_people(
                    store.as_ref(),
                    admin::Actor::Cli,
                    &file,
                    &file.display().to_string(),
                    check,
                )
                .await?
                {
                    Ok(people) if check => eprintln!(
                        "{} people, no problems; checked only (--check): nothing was stored",
                        people.len()
                    ),
                    Ok(people) => eprintln!(
                        "imported {} people from {}; set console passwords with set-password, \
                         enroll tablets with enroll-device",
                        people.len(),
                        file.display()
                    ),
                    Err(problems) => {
                        for p in &problems {
                            out!("{p}");
                        }
                        match problems.len() {
                            1 => bail!("{} has 1 problem; nothing was imported", file.display()),
                            n => bail!("{} has {n} problems; nothing was imported", file.display()),
                        }
                    }
                }
            }
            AdminCommand::ImportCodes {
                file,
                version,
                title,
                check,
            } => match admin::import_codes(
                store.as_ref(),
                admin::Actor::Cli,
                &file,
                &file.display().to_string(),
                &version,
                &title,
                check,
            )
            .await?
            {
                Ok(count) if check => {
                    eprintln!(
                        "{count} categories, no problems; checked only (--check): nothing was stored"
                    );
                }
                Ok(count) => {
                    eprintln!(
                        "imported code table {version}: {count} categories; devices get it in the feed"
                    );
                }
                Err(problems) => {
                    for p in &problems {
                        out!("{p}");
                    }
                    match problems.len() {
                        1 => bail!("{} has 1 problem; nothing was imported", file.display()),
                        n => bail!("{} has {n} problems; nothing was imported", file.display()),
                    }
                }
            },
            AdminCommand::SetPassword { user } => {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                admin::set_password(store.as_ref(), &user, line.trim_end_matches(['\r', '\n']))
                    .await?;
                eprintln!("console password set for {user}");
            }
            AdminCommand::CreateUser {
                login,
                name,
                role,
                team,
                department,
                cells,
                badge,
                camera_serial,
                source,
            } => {
                let user = User {
                    id: UserId::new(),
                    login,
                    name,
                    role: serde_json::from_value(serde_json::Value::String(role))?,
                    team,
                    department,
                    cells: cells.iter().map(|c| c.parse()).collect::<Result<_, _>>()?,
                    badge,
                    camera_serial,
                    source: source.map(|s| s.parse()).transpose()?,
                };
                out!("{}", admin::create_user(store.as_ref(), user).await?);
            }
            AdminCommand::PortToken { user } => {
                out!("{}", admin::port_token(store.as_ref(), &user).await?);
            }
            AdminCommand::EnrollDevice { user, device } => {
                out!(
                    "{}",
                    admin::enroll_device(store.as_ref(), &user, device).await?
                );
            }
            AdminCommand::EnrollmentCode {
                user,
                server,
                minutes,
                svg,
            } => {
                let code =
                    admin::enrollment_code_cli(store.as_ref(), &user, &server, Some(minutes))
                        .await?;
                out!("{}", code.code);
                out!("{}", code.payload);
                eprintln!(
                    "for {} ({}); expires {}",
                    code.name,
                    code.login,
                    code.expires_at.to_rfc3339()
                );
                if let Some(path) = svg {
                    std::fs::write(&path, &code.svg)?;
                    eprintln!("QR code written to {}", path.display());
                }
            }
            AdminCommand::RevokeDevice { device } => {
                admin::revoke_device(store.as_ref(), device).await?;
                eprintln!("device {device} revoked: its token no longer works");
            }
            AdminCommand::DisableUser { user } => {
                admin::disable_user(store.as_ref(), &user).await?;
                eprintln!("{user} disabled: their devices and console sessions no longer work");
            }
            AdminCommand::EnableUser { user } => {
                admin::enable_user(store.as_ref(), &user).await?;
                eprintln!("{user} enabled: they may sign in again");
            }
            AdminCommand::Users => {
                for (u, disabled) in store.users().await? {
                    // Spelt as `create-user --role` takes it, so a script can feed it back.
                    let role = serde_json::to_value(u.role)?;
                    out!(
                        "{}\t{}\t{}\t{}\t{}",
                        u.login,
                        role.as_str().unwrap_or_default(),
                        u.team
                            .as_deref()
                            .or(u.department.as_deref())
                            .or(u.source.map(|s| s.as_str()))
                            .unwrap_or("-"),
                        u.name,
                        disabled.map_or_else(|| "active".into(), |t| format!("disabled {t}"))
                    );
                }
            }
            AdminCommand::Devices => {
                for d in store.devices().await? {
                    out!(
                        "{}\t{}\tenrolled {}\t{}\t{}",
                        d.id,
                        d.login,
                        d.enrolled_at,
                        d.last_seen
                            .map_or_else(|| "never seen".into(), |t| format!("seen {t}")),
                        d.revoked_at
                            .map_or_else(|| "active".into(), |t| format!("revoked {t}"))
                    );
                }
            }
            AdminCommand::Verify => {
                let blobs = BlobStore::open(&settings.blobs)?;
                let v = admin::verify(store.as_ref(), &blobs).await?;
                for f in &v.findings {
                    out!("BROKEN {f}");
                }
                let summary = format!(
                    "{} reports ({} versions, {} case events), {} administrative acts, {} photos",
                    v.reports, v.versions, v.events, v.acts, v.blobs
                );
                if !v.findings.is_empty() {
                    bail!("{} broken: checked {summary}", v.findings.len());
                }
                out!("OK: every chain and photo intact: {summary}");
            }
            AdminCommand::ExportCase { case, out } => {
                let blobs = BlobStore::open(&settings.blobs)?;
                let (id, fingerprint) =
                    admin::export_case(store.as_ref(), &blobs, &case, &out).await?;
                out!("{}", out.display());
                eprintln!(
                    "report {id} exported to {}; manifest SHA-256 {fingerprint}; check it with \
                     `gridwalk-evidence verify {}`",
                    out.display(),
                    out.display()
                );
            }
            AdminCommand::Audit { limit } => {
                for a in store.admin_acts(limit).await? {
                    out!(
                        "{}\t{}\t{}\t{}\t{}",
                        a.at,
                        a.actor,
                        a.action,
                        a.subject,
                        a.detail.unwrap_or_default()
                    );
                }
            }
        },
    }
    Ok(())
}
