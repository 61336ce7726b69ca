//! The device's secrets: its token for the centre and its signing key, kept out of the
//! local database.
//!
//! A copy of `field.db` (a backup, a support bundle, a lost tablet's storage read out) must
//! not let anyone sync as the device or sign for it. So the two secrets live in a
//! [`Secrets`] store of their own:
//!
//! - [`KeyringSecrets`], the operating system's keyring (macOS Keychain, Windows Credential
//!   Manager, the Secret Service of a Linux desktop session), through the `keyring` crate.
//!   Entries are named by the device ID, so two data directories on one machine do not mix.
//! - [`FileSecrets`], the documented fallback: `secrets.json` in the app's data directory,
//!   readable by its owner only (0600, in a 0700 directory). It is used where no keyring
//!   can be reached: Android (whose app-private storage is the platform's own sandbox until
//!   a keystore plugin is wired in, see the README), headless Linux without a session bus
//!   (servers, CI), or when `GRIDWALK_SECRETS=file` asks for it.
//!
//! Which store a device uses is decided once, when it first needs one, and remembered in
//! the database (the store's name only): a device set up with the keyring keeps using it,
//! and an unreachable keyring is then an error in words, not a silently empty store.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Names of the secrets the engine keeps.
pub mod name {
    /// The device token the centre issued at enrollment.
    pub const TOKEN: &str = "token";
    /// The device's Ed25519 signing key (base64 of its 32-byte seed).
    pub const SIGNING_KEY: &str = "signing_key";
}

/// Where a device keeps its secrets.
pub trait Secrets: Send + Sync + fmt::Debug {
    fn get(&self, name: &str) -> Result<Option<String>>;
    fn set(&self, name: &str, value: &str) -> Result<()>;
    /// Forgets a secret (nothing if it is not there).
    fn delete(&self, name: &str) -> Result<()>;
    /// The store's name as remembered in the database: `keyring` or `file`.
    fn kind(&self) -> &'static str;
}

/// Which store to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretsChoice {
    /// The OS keyring where one answers, else the private file.
    Auto,
    /// The private file, always.
    File,
}

impl SecretsChoice {
    /// `File` if the environment says `GRIDWALK_SECRETS=file`, else `Auto`.
    #[must_use]
    pub fn from_env() -> Self {
        match std::env::var("GRIDWALK_SECRETS").as_deref() {
            Ok("file") => SecretsChoice::File,
            _ => SecretsChoice::Auto,
        }
    }
}

/// The store for a device: the one it used before (`remembered`), else the one `choice`
/// finds.
pub fn open(
    choice: SecretsChoice,
    remembered: Option<&str>,
    data_dir: &Path,
    device: &str,
) -> Result<Box<dyn Secrets>> {
    let file = || -> Box<dyn Secrets> { Box::new(FileSecrets::new(data_dir)) };
    Ok(match (remembered, choice) {
        (Some("file"), _) | (None, SecretsChoice::File) => file(),
        (Some("keyring"), _) => keyring_store(device).ok_or_else(|| Error::Secrets {
            store: "keyring".into(),
            cause: "this device keeps its token in the OS keyring, which this build cannot use"
                .into(),
        })?,
        (Some(other), _) => {
            return Err(Error::Damaged(format!("unknown secret store {other:?}")));
        }
        (None, SecretsChoice::Auto) => match keyring_store(device) {
            Some(k) if keyring_answers(k.as_ref()) => k,
            _ => file(),
        },
    })
}

/// Whether a keyring answers at all (a missing entry is an answer).
fn keyring_answers(k: &dyn Secrets) -> bool {
    // Without a session bus there is no Secret Service to ask, and asking would make
    // libdbus try to start one.
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return false;
    }
    k.get("probe").is_ok()
}

#[cfg(not(target_os = "android"))]
fn keyring_store(device: &str) -> Option<Box<dyn Secrets>> {
    Some(Box::new(KeyringSecrets {
        device: device.to_owned(),
    }))
}

#[cfg(target_os = "android")]
fn keyring_store(_device: &str) -> Option<Box<dyn Secrets>> {
    None
}

/// The OS keyring (service `gridwalk-field`, one entry per device and secret).
#[cfg(not(target_os = "android"))]
#[derive(Debug)]
pub struct KeyringSecrets {
    device: String,
}

#[cfg(not(target_os = "android"))]
impl KeyringSecrets {
    const SERVICE: &'static str = "gridwalk-field";

    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(Self::SERVICE, &format!("{}/{name}", self.device)).map_err(failed)
    }
}

#[cfg(not(target_os = "android"))]
fn failed(e: keyring::Error) -> Error {
    Error::Secrets {
        store: "OS keyring".into(),
        cause: e.to_string(),
    }
}

#[cfg(not(target_os = "android"))]
impl Secrets for KeyringSecrets {
    fn get(&self, name: &str) -> Result<Option<String>> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        self.entry(name)?.set_password(value).map_err(failed)
    }

    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }

    fn kind(&self) -> &'static str {
        "keyring"
    }
}

/// The fallback: `secrets.json` in the data directory, owner-only.
#[derive(Debug)]
pub struct FileSecrets {
    path: PathBuf,
}

impl FileSecrets {
    /// The file in `data_dir` (made on first write).
    #[must_use]
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join("secrets.json"),
        }
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Damaged(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    /// Replaces the file whole: written beside it (owner-only from its creation), synced,
    /// renamed over it, so a crash leaves the old secrets or the new, never half.
    fn write(&self, all: &BTreeMap<String, String>) -> Result<()> {
        let tmp = self.path.with_extension("json.new");
        let io = |e| Error::io(&tmp, e);
        let mut f = private_file(&tmp).map_err(io)?;
        f.write_all(&serde_json::to_vec(all).unwrap_or_default())
            .map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, &self.path).map_err(|e| Error::io(&self.path, e))
    }
}

impl Secrets for FileSecrets {
    fn get(&self, name: &str) -> Result<Option<String>> {
        Ok(self.read()?.remove(name))
    }

    fn set(&self, name: &str, value: &str) -> Result<()> {
        let mut all = self.read()?;
        all.insert(name.to_owned(), value.to_owned());
        self.write(&all)
    }

    fn delete(&self, name: &str) -> Result<()> {
        let mut all = self.read()?;
        if all.remove(name).is_some() {
            self.write(&all)?;
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}

/// A new (truncated) file only its owner can read or write.
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let f = o.open(path)?;
    restrict(path, false)?;
    Ok(f)
}

/// Makes `path` private to its owner (0700 for a directory, 0600 for a file); nothing
/// where the platform has no such modes.
pub fn restrict(path: &Path, dir: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(
            path,
            fs::Permissions::from_mode(if dir { 0o700 } else { 0o600 }),
        )?;
    }
    #[cfg(not(unix))]
    let _ = (path, dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_store_keeps_forgets_and_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = FileSecrets::new(dir.path());
        assert_eq!(s.get("token").expect("get"), None);
        s.set("token", "abc").expect("set");
        s.set("signing_key", "k").expect("set");
        assert_eq!(s.get("token").expect("get").as_deref(), Some("abc"));
        s.delete("token").expect("delete");
        assert_eq!(s.get("token").expect("get"), None);
        assert_eq!(s.get("signing_key").expect("get").as_deref(), Some("k"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("secrets.json"))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_remembered_store_is_kept_and_file_is_the_fallback() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = open(SecretsChoice::File, None, dir.path(), "d").expect("open");
        assert_eq!(s.kind(), "file");
        let s = open(SecretsChoice::Auto, Some("file"), dir.path(), "d").expect("open");
        assert_eq!(s.kind(), "file");
        assert!(open(SecretsChoice::Auto, Some("vault"), dir.path(), "d").is_err());
    }
}
