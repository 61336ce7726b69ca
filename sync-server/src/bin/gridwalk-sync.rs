//! `gridwalk-sync`: the sync server and its admin commands.
//!
//! `serve` with no options runs on an embedded SQLite case store under `./gridwalk-sync-data`.
//! The admin commands print bare values on stdout (an ID, a token) so scripts can capture
//! them; everything else goes to stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use gridwalk_protocol::{DeviceId, UserId};
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

fn open_store(dir: &std::path::Path) -> Result<Arc<dyn CaseStore>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let store = SqliteStore::open(&dir.join("cases.db")).context("opening the case store")?;
    Ok(Arc::new(store))
}

async fn run(cli: Cli) -> Result<()> {
    let store = open_store(&cli.data_dir)?;
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
