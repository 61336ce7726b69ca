//! `gridwalk-sync`: the sync server and its admin commands.
//!
//! `serve` with no options runs on an embedded SQLite case store under `./gridwalk-sync-data`.
//! The admin commands print bare values on stdout (an ID, a token) so scripts can capture
//! them; everything else goes to stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use gridwalk_protocol::{DeviceId, UserId};
use gridwalk_sync::store::postgres::PgStore;
use gridwalk_sync::store::sqlite::SqliteStore;
use gridwalk_sync::store::{CaseStore, User};
use gridwalk_sync::{AppState, admin, app};

#[derive(Parser)]
#[command(name = "gridwalk-sync", version, about = "The Gridwalk sync server")]
struct Cli {
    /// Where the embedded case store lives.
    #[arg(
        long,
        env = "GRIDWALK_SYNC_DATA",
        default_value = "gridwalk-sync-data",
        global = true
    )]
    data_dir: PathBuf,
    /// The case store: omit for embedded SQLite under the data directory, or give a
    /// `postgres://user:password@host/db` URL.
    #[arg(long, env = "GRIDWALK_SYNC_DB", global = true)]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed on stdout).
        #[arg(long, env = "GRIDWALK_SYNC_LISTEN", default_value = "127.0.0.1:8750")]
        listen: SocketAddr,
    },
    /// Administration for scripts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Load codes.json, grid/*.geojson and users.json from a fixtures directory.
    LoadFixtures { dir: PathBuf },
    /// Create or update a user; prints the user's ID.
    CreateUser {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["inspector", "leader", "operator"])]
        role: String,
        #[arg(long)]
        team: Option<String>,
        /// Cell codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        cells: Vec<String>,
        #[arg(long)]
        badge: Option<String>,
        #[arg(long)]
        camera_serial: Option<String>,
    },
    /// Enroll a device (by the ID it shows) for a user; prints its token.
    EnrollDevice {
        #[arg(long)]
        user: String,
        #[arg(long)]
        device: DeviceId,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
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
            let store =
                SqliteStore::open(&dir.join("cases.db")).context("opening the case store")?;
            Ok(Arc::new(store))
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let store = open_store(&cli.data_dir, cli.db.as_deref()).await?;
    match cli.command {
        Command::Serve { listen } => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            let addr = listener.local_addr()?;
            println!("listening on http://{addr}");
            tracing::info!(%addr, data_dir = %cli.data_dir.display(), "gridwalk-sync serving");
            axum::serve(listener, app(AppState { store }))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
        Command::Admin { command } => match command {
            AdminCommand::LoadFixtures { dir } => {
                let loaded = admin::load_fixtures(store.as_ref(), &dir).await?;
                eprintln!(
                    "loaded {} code table, {} cells, {} users from {}",
                    loaded.code_tables,
                    loaded.cells,
                    loaded.users,
                    dir.display()
                );
            }
            AdminCommand::CreateUser {
                login,
                name,
                role,
                team,
                cells,
                badge,
                camera_serial,
            } => {
                let id = store
                    .user_by_login(&login)
                    .await?
                    .map_or_else(UserId::new, |u| u.id);
                let user = User {
                    id,
                    login,
                    name,
                    role: serde_json::from_value(serde_json::Value::String(role))?,
                    team,
                    cells: cells.iter().map(|c| c.parse()).collect::<Result<_, _>>()?,
                    badge,
                    camera_serial,
                };
                store.put_user(&user).await?;
                println!("{}", user.id);
            }
            AdminCommand::EnrollDevice { user, device } => {
                println!(
                    "{}",
                    admin::enroll_device(store.as_ref(), &user, device).await?
                );
            }
        },
    }
    Ok(())
}
