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
//! callback_retry_seconds = 60                      # first pause before a port's callback is retried
//! callback_allow_private = false                   # ports' callbacks may reach private addresses
//! public_reports_per_hour = 10                     # 随手拍 reports one address may send an hour
//! tls_cert = "/etc/gridwalk/tls/fullchain.pem"     # serve HTTPS itself (both or neither;
//! tls_key = "/etc/gridwalk/tls/key.pem"            #   re-read when the files change)
//! public_url = "https://gridwalk.city.example"     # behind a TLS proxy: how clients reach it
//! ```
//!
//! Over plain HTTP the console's session cookie and the devices' tokens cross the network
//! in clear, so a centre serves HTTPS: with its own certificate (`tls_cert`, `tls_key`), or
//! behind a reverse proxy that ends TLS, saying so with an `https://` `public_url`. Either
//! way the answers then carry HSTS and the cookie is `Secure` ([`Transport::https`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use serde::Deserialize;

use crate::serve::Limits;
use crate::services::uploads::UploadSettings;
use crate::tls::TlsFiles;

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
    pub callback_retry_seconds: Option<u32>,
    pub callback_allow_private: Option<bool>,
    pub public_reports_per_hour: Option<u32>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub public_url: Option<String>,
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
    /// The first pause before a failed callback delivery is tried again.
    pub callback_retry: std::time::Duration,
    /// Whether ports' callbacks may reach private, loopback and link-local addresses.
    pub callback_allow_private: bool,
    /// 随手拍 reports one address may send an hour.
    pub public_reports_per_hour: u32,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The address clients use, when it is not this one (a reverse proxy in front).
    pub public_url: Option<String>,
}

/// How clients reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// The server's own certificate and key, if it serves TLS itself.
    pub tls: Option<TlsFiles>,
    /// Clients reach it over HTTPS (its own TLS, or a proxy's): HSTS and `Secure` cookies.
    pub https: bool,
}

impl Settings {
    /// How clients reach the server, or why the TLS settings do not fit together.
    pub fn transport(&self) -> Result<Transport, String> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            _ => {
                return Err(
                    "--tls-cert and --tls-key go together: give both (to serve HTTPS) or neither"
                        .into(),
                );
            }
        };
        let proxied_https = match self.public_url.as_deref().map(str::trim) {
            None => false,
            Some(url) if url.starts_with("https://") && url.len() > "https://".len() => true,
            Some(url) if url.starts_with("http://") && url.len() > "http://".len() => {
                if tls.is_some() {
                    return Err(format!(
                        "--public-url {url:?} says http://, but the server serves TLS itself"
                    ));
                }
                false
            }
            Some(url) => {
                return Err(format!(
                    "--public-url {url:?}: give the address clients use, starting with https://"
                ));
            }
        };
        Ok(Transport {
            https: tls.is_some() || proxied_https,
            tls,
        })
    }
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
        uploads: UploadSettings::with_max_size(
            cli.max_upload_bytes
                .or(file.max_upload_bytes)
                .unwrap_or(defaults.max_size),
            cli.upload_ttl_hours
                .or(file.upload_ttl_hours)
                .map_or(defaults.ttl, |h| TimeDelta::hours(i64::from(h))),
        ),
        limits: Limits {
            max_in_flight: cli
                .max_in_flight
                .or(file.max_in_flight)
                .unwrap_or(Limits::default().max_in_flight)
                .max(1),
            ..Limits::default()
        },
        callback_retry: std::time::Duration::from_secs(u64::from(
            cli.callback_retry_seconds
                .or(file.callback_retry_seconds)
                .unwrap_or(60)
                .max(1),
        )),
        callback_allow_private: cli
            .callback_allow_private
            .or(file.callback_allow_private)
            .unwrap_or(false),
        public_reports_per_hour: cli
            .public_reports_per_hour
            .or(file.public_reports_per_hour)
            .unwrap_or(crate::services::throttle::PUBLIC_PER_HOUR)
            .max(1),
        tls_cert: cli.tls_cert.or(file.tls_cert),
        tls_key: cli.tls_key.or(file.tls_key),
        public_url: cli.public_url.or(file.public_url),
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
    fn https_is_own_tls_or_a_proxy_and_half_a_pair_is_refused() {
        let with = |file: &str| {
            resolve(
                FileSettings::default(),
                toml::from_str(file).expect("parses"),
            )
            .transport()
        };
        let plain = with("").expect("plain");
        assert_eq!(
            plain,
            Transport {
                tls: None,
                https: false
            }
        );
        let own = with("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").expect("own TLS");
        assert!(own.https);
        assert_eq!(own.tls.expect("files").key, PathBuf::from("k.pem"));
        let proxied = with("public_url = \"https://gw.city.example\"\n").expect("proxy");
        assert_eq!(
            proxied,
            Transport {
                tls: None,
                https: true
            }
        );
        assert!(
            !with("public_url = \"http://gw.local\"\n")
                .expect("plain proxy")
                .https
        );

        let half = with("tls_cert = \"c.pem\"\n").expect_err("no key");
        assert!(half.contains("go together"), "{half}");
        let contradiction =
            with("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\npublic_url = \"http://gw\"\n")
                .expect_err("http with own TLS");
        assert!(
            contradiction.contains("serves TLS itself"),
            "{contradiction}"
        );
        assert!(with("public_url = \"gw.city.example\"\n").is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<FileSettings>("dbb = \"x\"\n").expect_err("typo");
        assert!(e.to_string().contains("dbb"), "{e}");
    }
}
