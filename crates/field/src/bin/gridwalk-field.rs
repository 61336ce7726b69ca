//! `gridwalk-field`: the field engine from a shell, for support staff and the demo.
//!
//! It opens the same data directory the app uses (when the app is closed: the engine holds
//! an exclusive lock), so support can look at a device's queue, check what the pipeline
//! makes of a problem photo, or ask which cell a coordinate falls in.
//!
//! Logs (a sync round's progress) go to stderr at the level `RUST_LOG` names (default
//! `info`), as text, or as JSON lines with `GRIDWALK_LOG_FORMAT=json`.
//!
//! Output goes through [`out!`], which hands a write error back instead of panicking as
//! `println!` does: `gridwalk-field outbox | head` ends quietly when `head` has had enough.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use gridwalk_field::photo::{self, CHINA_STANDARD_TIME, PhotoOptions};
use gridwalk_field::sync::{SyncClient, Transport};
use gridwalk_field::{
    DraftPatch, Engine, FieldConfig, Inspector, LocalReport, Reference, ReportState,
};
use gridwalk_protocol::{
    CellCode, ClipRef, Crs, Kind, Location, LocationProvider, PhotoStage, Urgency, UserId,
};
use serde::Deserialize;

/// `println!` that returns the write's error (a reader that went away) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

#[derive(Parser)]
#[command(
    name = "gridwalk-field",
    version,
    about = "The Gridwalk field engine, from a shell"
)]
struct Cli {
    /// The engine's data directory (database and photos).
    #[arg(
        long,
        env = "GRIDWALK_DATA",
        default_value = "gridwalk-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Where codes.json, grid/*.geojson, users.json and photos/ are.
    #[arg(
        long,
        env = "GRIDWALK_FIXTURES",
        default_value = "fixtures",
        global = true
    )]
    fixtures: PathBuf,
    /// A PEM file of certificate authorities to trust for the centre besides the public
    /// ones (a city's own CA).
    #[arg(long, env = "GRIDWALK_CENTRE_CA", global = true)]
    centre_ca: Option<PathBuf>,
    /// Send to a plain http:// centre that is not on this machine (tokens and reports then
    /// cross the network unencrypted: for a closed test network only).
    /// The variable takes 1/0 as the app does (or true/false, yes/no).
    #[arg(
        long,
        env = "GRIDWALK_ALLOW_INSECURE_HTTP",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    allow_insecure_http: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Photo pipeline tools.
    Photo {
        #[command(subcommand)]
        command: PhotoCommand,
    },
    /// Which grid cell a WGS-84 position falls in (JSON).
    Cell {
        #[arg(allow_negative_numbers = true)]
        lon: f64,
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        /// The fix's accuracy in metres.
        #[arg(long, default_value_t = 5.0)]
        accuracy: f64,
    },
    /// Capture reports offline from the fixture photos as a demo inspector, then show the queue.
    Demo {
        /// The inspector to capture as (a login in users.json); the first inspector there
        /// if not given. A device enrolled for another inspector has every report refused.
        #[arg(long)]
        user: Option<String>,
        /// Also capture one problem the inspector fixed on the spot (自处理): a before and an
        /// after photo; the team leader checks it from the photos, without a department.
        #[arg(long)]
        on_spot: bool,
    },
    /// The queue summary (JSON).
    Queue,
    /// Reports on the device (JSON).
    Reports {
        #[arg(long, value_parser = ["draft", "queued", "sent", "rejected"], default_value = "queued")]
        state: String,
    },
    /// Change a submitted report; the change is queued for the centre (JSON: the report).
    Edit {
        /// The report's ID.
        id: gridwalk_protocol::ReportId,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// normal or urgent.
        #[arg(long, value_parser = ["normal", "urgent"])]
        urgency: Option<String>,
    },
    /// Outbox mutations waiting for the centre, oldest first (JSON).
    Outbox {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// This device's ID, as an administrator needs it to enroll the device.
    DeviceId,
    /// The fingerprint of this device's signing key, to compare with the one
    /// `gridwalk-evidence verify` prints for a case this tablet reported.
    KeyFingerprint,
    /// Send the outbox to a sync server now; `--server` and `--token` are remembered.
    Sync {
        /// The server's address, e.g. http://127.0.0.1:8750.
        #[arg(long)]
        server: Option<String>,
        /// The token `gridwalk-sync admin enroll-device` printed for this device.
        #[arg(long)]
        token: Option<String>,
    },
    /// How syncing has gone (JSON).
    SyncStatus,
    /// Tasks from the centre still to do, each with its report (JSON): verifications (核查,
    /// `kind` verify: is a handled case fixed?) and on-site checks (核实, `kind` check: is a
    /// problem the hotline or the public reported real?).
    Tasks,
    /// Record a task done in the field; it is queued for the centre with its photos.
    CompleteTask {
        /// The task's ID (from `tasks`).
        task: gridwalk_protocol::TaskId,
        /// A verification: the problem is fixed. A check: the problem is real (属实).
        #[arg(long, conflicts_with = "fail", required_unless_present = "fail")]
        pass: bool,
        /// A verification: not fixed (the case goes back to the department). A check: not
        /// found on site (不属实: the report is refused with your words).
        #[arg(long)]
        fail: bool,
        /// What was found (required with --fail).
        #[arg(long)]
        note: Option<String>,
        /// A photo taken on site; repeat for more.
        #[arg(long)]
        photo: Vec<PathBuf>,
    },
    /// Photos of sent reports still to upload, in upload order, with progress and the last
    /// error in words (JSON).
    Uploads,
    /// The offline basemap (a city's MBTiles package of streets under the cells).
    Basemap {
        #[command(subcommand)]
        command: BasemapCommand,
    },
    /// The city's components (部件) this device holds: those in the inspector's cells, as
    /// the centre's feed sent them.
    Components {
        #[command(subcommand)]
        command: ComponentsCommand,
    },
}

#[derive(Subcommand)]
enum ComponentsCommand {
    /// The components of a 小类 nearest to a WGS-84 position, nearest first (JSON, each
    /// with its distance in metres).
    Near {
        /// The 小类 code, e.g. 0102 (污水井盖).
        #[arg(long)]
        category: gridwalk_protocol::CategoryCode,
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, default_value_t = gridwalk_field::components::NEAR_LIMIT)]
        limit: usize,
    },
    /// One component by its 16-digit ID (JSON); fails if this device does not hold it.
    Show { id: gridwalk_protocol::ComponentId },
    /// The component whose QR code is in a photo FILE (a JPEG), if this device holds it
    /// (JSON).
    Scan { file: PathBuf },
}

#[derive(Subcommand)]
enum BasemapCommand {
    /// Check FILE and install it, replacing the installed package (JSON: what it is).
    Install { file: PathBuf },
    /// The installed package, or null (JSON).
    Show,
    /// Remove the installed package.
    Remove,
}

#[derive(Subcommand)]
enum PhotoCommand {
    /// Run the pipeline on FILE without storing anything; print EXIF and the derivative (JSON).
    Inspect { file: PathBuf },
}

fn main() -> std::process::ExitCode {
    init_logs();
    match run(&Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of our output stopped reading (`| head`): what it wanted, it has.
        Err(e) if reader_went_away(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gridwalk-field: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn reader_went_away(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logs() {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if std::env::var("GRIDWALK_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
}

fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Photo {
            command: PhotoCommand::Inspect { file },
        } => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let processed = photo::process(&bytes, &PhotoOptions::default(), CHINA_STANDARD_TIME)
                .with_context(|| format!("{}", file.display()))?;
            print_json(&processed.inspection(bytes.len() as u64))
        }
        Command::Cell { lon, lat, accuracy } => {
            gridwalk_protocol::validate_location(
                &Location {
                    lon: *lon,
                    lat: *lat,
                    crs: Crs::Wgs84,
                    accuracy_m: *accuracy,
                    fix_time: Utc::now(),
                    provider: LocationProvider::Manual,
                },
                Utc::now(),
            )?;
            let reference = load_reference(&cli.fixtures)?;
            let config = FieldConfig::new(&cli.data_dir);
            let a = reference
                .grid
                .assign(*lon, *lat, *accuracy, config.max_accuracy_m, &[]);
            let cell = a
                .cell
                .as_ref()
                .and_then(|c| reference.grid.cells().find(|x| &x.code == c));
            print_json(&serde_json::json!({
                "lon": lon, "lat": lat, "cell": a.cell, "flags": a.flags,
                "street": cell.and_then(|c| c.street_name.clone()),
                "community": cell.and_then(|c| c.community_name.clone()),
            }))
        }
        Command::Demo { user, on_spot } => demo(cli, user.as_deref(), *on_spot),
        Command::Queue => print_json(&open(cli)?.queue_summary()?),
        Command::Reports { state } => {
            let state = match state.as_str() {
                "draft" => ReportState::Draft,
                "sent" => ReportState::Sent,
                "rejected" => ReportState::Rejected,
                _ => ReportState::Queued,
            };
            print_json(&open(cli)?.reports(state)?)
        }
        Command::Edit {
            id,
            description,
            address,
            urgency,
        } => {
            let patch = DraftPatch {
                description: description.clone(),
                address: address.clone(),
                urgency: urgency.as_deref().map(|u| {
                    if u == "urgent" {
                        Urgency::Urgent
                    } else {
                        Urgency::Normal
                    }
                }),
                ..Default::default()
            };
            print_json(&open(cli)?.edit_report(*id, &patch)?)
        }
        Command::Outbox { limit } => print_json(&open(cli)?.pending_mutations(*limit)?),
        Command::DeviceId => {
            out!("{}", open(cli)?.device_id());
            Ok(())
        }
        Command::KeyFingerprint => {
            let key = open(cli)?.public_key()?;
            out!("{}", gridwalk_protocol::signing::fingerprint(&key));
            Ok(())
        }
        Command::Sync { server, token } => sync(cli, server.as_deref(), token.as_deref()),
        Command::SyncStatus => print_json(&open(cli)?.sync_status()?),
        Command::Tasks => print_json(&open(cli)?.tasks()?),
        Command::CompleteTask {
            task,
            pass,
            note,
            photo,
            ..
        } => {
            let engine = open(cli)?;
            let photos: Vec<&Path> = photo.iter().map(PathBuf::as_path).collect();
            engine.complete_task(*task, *pass, note.as_deref(), &photos)?;
            print_json(&engine.queue_summary()?)
        }
        Command::Uploads => print_json(&open(cli)?.photos_to_upload()?),
        Command::Basemap { command } => match command {
            BasemapCommand::Install { file } => print_json(&open(cli)?.install_basemap(file)?),
            BasemapCommand::Show => print_json(&open(cli)?.basemap()?),
            BasemapCommand::Remove => Ok(open(cli)?.remove_basemap()?),
        },
        Command::Components { command } => match command {
            ComponentsCommand::Near {
                category,
                lon,
                lat,
                limit,
            } => print_json(&open(cli)?.components_near(category, *lon, *lat, *limit)?),
            ComponentsCommand::Show { id } => match open(cli)?.component(id)? {
                Some(c) => print_json(&c),
                None => bail!("component {id} is not among this device's components"),
            },
            ComponentsCommand::Scan { file } => {
                let bytes =
                    std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
                print_json(&open(cli)?.scan_component(&bytes)?)
            }
        },
    }
}

fn sync(cli: &Cli, server: Option<&str>, token: Option<&str>) -> Result<()> {
    let engine = open(cli)?;
    if let (Some(server), Some(token)) = (server, token) {
        engine.configure_sync(server, token)?;
    } else if server.is_some() || token.is_some() {
        bail!("give both --server and --token, or neither to use the remembered ones");
    }
    let settings = engine
        .sync_settings()?
        .ok_or(gridwalk_field::Error::SyncNotConfigured)?;
    let client = SyncClient::new(&settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let done = runtime.block_on(engine.sync_once(&client, env!("CARGO_PKG_VERSION")))?;
    eprintln!(
        "sent {} reports, {} refused by the centre; uploaded {} photos ({} bytes), {} already there",
        done.sent,
        done.rejected,
        done.photos.uploaded,
        done.photos.bytes_sent,
        done.photos.already_held
    );
    if done.edited + done.conflicts + done.edits_refused > 0 {
        eprintln!(
            "changes: {} taken by the centre, {} waiting for an operator (conflict), {} refused",
            done.edited, done.conflicts, done.edits_refused
        );
    }
    eprintln!("pulled {} changes from the centre", done.pulled);
    print_json(&engine.queue_summary()?)
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    out!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn load_reference(fixtures: &Path) -> Result<Reference> {
    Reference::load(fixtures).with_context(|| {
        format!(
            "loading reference data from {} (set --fixtures)",
            fixtures.display()
        )
    })
}

fn open(cli: &Cli) -> Result<Engine> {
    let reference = load_reference(&cli.fixtures)?;
    let config = FieldConfig {
        transport: Transport {
            allow_insecure_http: cli.allow_insecure_http,
            extra_ca: cli.centre_ca.clone(),
        },
        ..FieldConfig::new(&cli.data_dir)
    };
    Engine::open(config, reference).with_context(|| format!("opening {}", cli.data_dir.display()))
}

#[derive(Deserialize)]
struct DemoUser {
    id: UserId,
    login: String,
    name: String,
    role: String,
    cells: Vec<CellCode>,
    /// Inspectors have one; the service accounts of other ports none.
    #[serde(default)]
    badge: Option<String>,
    camera_serial: Option<String>,
}

/// A demo draft with a position: its photo's, or, for a photo without GPS, the inspector's
/// own fix, as the app would take it.
fn located(engine: &Engine, draft: LocalReport) -> Result<LocalReport> {
    if draft.location.is_some() {
        return Ok(draft);
    }
    Ok(engine.set_location(
        draft.id,
        Location {
            lon: 113.0805,
            lat: 22.5875,
            crs: Crs::Wgs84,
            accuracy_m: 8.0,
            fix_time: Utc::now(),
            provider: LocationProvider::Gps,
        },
    )?)
}

/// What the demo inspector reports, one scenario per fixture photo.
const SCENARIOS: &[(Kind, &str, &str, Urgency)] = &[
    (
        Kind::Component,
        "0102",
        "污水井盖破损，边缘松动，行人易绊倒",
        Urgency::Normal,
    ),
    (
        Kind::Event,
        "0507",
        "人行道上堆放建筑材料，占用盲道",
        Urgency::Normal,
    ),
    (
        Kind::Event,
        "0401",
        "路面塌陷约一平方米，已设临时围挡",
        Urgency::Urgent,
    ),
    (
        Kind::Event,
        "0501",
        "流动摊贩在路口占道经营",
        Urgency::Normal,
    ),
    (
        Kind::Event,
        "0102",
        "绿化带旁暴露垃圾，气味明显",
        Urgency::Normal,
    ),
    (
        Kind::Component,
        "0118",
        "路灯灯头脱落，夜间不亮",
        Urgency::Normal,
    ),
    (
        Kind::Event,
        "0201",
        "电线杆上张贴非法小广告",
        Urgency::Normal,
    ),
    (
        Kind::Event,
        "0406",
        "暴雨后道路积水，车辆绕行",
        Urgency::Urgent,
    ),
];

fn demo(cli: &Cli, login: Option<&str>, on_spot: bool) -> Result<()> {
    let users: Vec<DemoUser> = serde_json::from_str(
        &std::fs::read_to_string(cli.fixtures.join("users.json")).context("reading users.json")?,
    )?;
    let user = match login {
        None => users
            .iter()
            .find(|u| u.role == "inspector")
            .context("users.json has no inspector")?,
        Some(login) => {
            let Some(user) = users.iter().find(|u| u.login == login) else {
                bail!("users.json has no one with the login {login:?}");
            };
            if user.role != "inspector" {
                bail!(
                    "{login} is not an inspector (role {}): only inspectors report from a tablet",
                    user.role
                );
            }
            user
        }
    };
    let engine = open(cli)?;
    engine.sign_in(&Inspector::new(user.id, user.cells.clone()))?;
    let photos_dir = cli.fixtures.join("photos");
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&photos_dir)
        .with_context(|| format!("reading {}", photos_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    photos.sort();

    out!(
        "Demo inspector: {} ({}), device {}",
        user.name,
        user.badge.as_deref().unwrap_or("-"),
        engine.device_id()
    );
    out!(
        "Capturing offline from {} photos in {}\n",
        photos.len(),
        photos_dir.display()
    );
    for (i, path) in photos.iter().enumerate() {
        let (kind, code, description, urgency) = SCENARIOS[i % SCENARIOS.len()];
        let draft = engine.create_draft()?;
        let stage = PhotoStage::Before;
        let draft = engine.add_photo(draft.id, path, stage)?;
        let draft = located(&engine, draft)?;
        let observed_at = draft.photos[0].photo.taken_at.unwrap_or(draft.observed_at);
        engine.update_draft(
            draft.id,
            &DraftPatch {
                kind: Some(kind),
                category: Some(code.parse()?),
                description: Some(description.to_owned()),
                urgency: Some(urgency),
                observed_at: Some(observed_at),
                ..DraftPatch::default()
            },
        )?;
        if let (Some(serial), Some(badge)) = (&user.camera_serial, &user.badge)
            && i % 2 == 0
        {
            engine.add_clip(
                draft.id,
                &ClipRef {
                    camera_serial: serial.clone(),
                    officer_badge: badge.clone(),
                    start: observed_at - Duration::minutes(2),
                    end: observed_at + Duration::minutes(3),
                    file_name: None,
                    md5: None,
                    sha256: None,
                },
            )?;
        }
        let f = engine.finalize(draft.id)?;
        let r = &f.report;
        let category = engine
            .reference()
            .codes
            .get(r.kind, &r.category)
            .map_or("?", |c| c.name.as_str());
        let p = &r.photos[0];
        out!(
            "#{:<3} {} {} {} {:<10} cell {:<15} {}×{} {:>4} KB  {}{}",
            f.mutation_id,
            r.kind.name_zh(),
            r.category,
            category,
            format!("{:?}", r.urgency).to_lowercase(),
            r.cell.as_ref().map_or("(outside grid)", CellCode::as_str),
            p.width,
            p.height,
            p.bytes / 1024,
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            if r.location_flags.is_empty() {
                String::new()
            } else {
                format!("  flags: {}", serde_json::to_string(&r.location_flags)?)
            },
        );
    }
    if on_spot && photos.len() >= 2 {
        // 自处理: rubbish by the road, cleared there and then; before and after photos.
        let draft = engine.create_draft()?;
        let draft = engine.add_photo(draft.id, &photos[0], PhotoStage::Before)?;
        let draft = engine.add_photo(draft.id, &photos[photos.len() - 1], PhotoStage::After)?;
        let draft = located(&engine, draft)?;
        let observed_at = draft.photos[0].photo.taken_at.unwrap_or(draft.observed_at);
        engine.update_draft(
            draft.id,
            &DraftPatch {
                kind: Some(Kind::Event),
                category: Some("0102".parse()?),
                description: Some("路边散落垃圾，已当场清理".to_owned()),
                urgency: Some(Urgency::Normal),
                observed_at: Some(observed_at),
                handled_on_spot: Some(true),
                ..DraftPatch::default()
            },
        )?;
        let f = engine.finalize(draft.id)?;
        out!(
            "#{:<3} 事件 0102 自处理 (handled on the spot)",
            f.mutation_id
        );
    }
    out!("\nQueue (waiting for the centre; nothing has touched the network):");
    print_json(&engine.queue_summary()?)
}
