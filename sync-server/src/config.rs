//! Server settings: built-in defaults, overridden by a TOML file, overridden by environment
//! variables and command-line flags (clap reads those two). With nothing set, the server
//! runs on embedded SQLite with photos on disk, both under `./gridwalk-sync-data`.
//!
//! ```toml
//! data_dir = "/var/lib/gridwalk"
//! db = "postgres://gridwalk@db.internal/gridwalk"   # omit for embedded SQLite
//! blobs = "s3://city-photos/gridwalk"               # or a directory
//! listen = "0.0.0.0:8750"
//! max_upload_bytes = 33554432
//! upload_ttl_hours = 24
//! max_in_flight = 256                              # more requests at once are answered 503
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use serde::Deserialize;

use crate::serve::Limits;
use crate::services::uploads::UploadSettings;

/// What the settings file may say; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub data_dir: Option<PathBuf>,
    pub db: Option<String>,
    pub blobs: Option<String>,
    pub listen: Option<SocketAddr>,
    pub max_upload_bytes: Option<u64>,
    pub upload_ttl_hours: Option<u32>,
    pub max_in_flight: Option<usize>,
}

impl FileSettings {
    /// Reads and checks a settings file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading settings {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("settings {}: {e}", path.display()))
    }
}

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// `None`: embedded SQLite under `data_dir`.
    pub db: Option<String>,
    /// A directory or `s3://` URL.
    pub blobs: String,
    pub listen: SocketAddr,
    pub uploads: UploadSettings,
    pub limits: Limits,
}

/// The built-in listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";

/// Layers flags/env (`cli`) over the file over the defaults.
#[must_use]
pub fn resolve(cli: FileSettings, file: FileSettings) -> Settings {
    let data_dir = cli
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("gridwalk-sync-data"));
    let blobs = cli
        .blobs
        .or(file.blobs)
        .unwrap_or_else(|| data_dir.join("blobs").display().to_string());
    let defaults = UploadSettings::default();
    Settings {
        db: cli.db.or(file.db),
        blobs,
        listen: cli.listen.or(file.listen).unwrap_or_else(|| {
            DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|e| unreachable!("the default address parses: {e}"))
        }),
        uploads: UploadSettings {
            max_size: cli
                .max_upload_bytes
                .or(file.max_upload_bytes)
                .unwrap_or(defaults.max_size),
            ttl: cli
                .upload_ttl_hours
                .or(file.upload_ttl_hours)
                .map_or(defaults.ttl, |h| TimeDelta::hours(i64::from(h))),
        },
        limits: Limits {
            max_in_flight: cli
                .max_in_flight
                .or(file.max_in_flight)
                .unwrap_or(Limits::default().max_in_flight)
                .max(1),
            ..Limits::default()
        },
        data_dir,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let file: FileSettings = toml::from_str(
            "data_dir = \"/srv/gw\"\nblobs = \"s3://photos/gw\"\nmax_upload_bytes = 1000\n",
        )
        .expect("parses");
        let cli = FileSettings {
            max_upload_bytes: Some(2000),
            ..FileSettings::default()
        };
        let s = resolve(cli, file);
        assert_eq!(s.data_dir, PathBuf::from("/srv/gw"));
        assert_eq!(s.blobs, "s3://photos/gw");
        assert_eq!(s.uploads.max_size, 2000);
        assert_eq!(s.uploads.ttl, TimeDelta::hours(24));
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(s.db, None);

        let bare = resolve(FileSettings::default(), FileSettings::default());
        assert_eq!(
            bare.blobs,
            PathBuf::from("gridwalk-sync-data/blobs")
                .display()
                .to_string(),
            "blobs default to the data directory"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<FileSettings>("dbb = \"x\"\n").expect_err("typo");
        assert!(e.to_string().contains("dbb"), "{e}");
    }
}
