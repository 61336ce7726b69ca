//! The evidence package of one case: a directory a clerk can open, copy or zip as it is,
//! and that [`check`] verifies with nothing but the files.
//!
//! ```text
//! manifest.json    every other file with its size and SHA-256
//! README.txt       what is here and how to check it (Chinese and English)
//! report.json      the report's row as the centre holds it, with its seal
//! versions.json    the versions chain: every version with prev and hash (the chain proof)
//! events.json      the case events chain: every step with prev and hash
//! tasks.json       the verification tasks (records; covered by the manifest only)
//! signatures.json  every signed mutation that made a version or an event: the device,
//!                  its number, the device's public key, the signature and the signed form
//! photos/<sha256>.jpg   every photo named by a version or a task
//! ```
//!
//! Signatures: a device's signature of a version or an event is also a field of that entry
//! ([`crate::chain`]) where the chain covers it, so it travels inside `versions.json` and
//! `events.json` as well; [`crate::signatures::check`] ties each such entry to its signed
//! form in `signatures.json`. A package made before signatures were exported has no
//! `signatures.json`: its device entries are counted as unsigned.
//!
//! [`check`] re-hashes every file against the manifest, re-walks both chains, checks the
//! report's row and seal against them ([`crate::chain::check_report`]), and checks that
//! every photo a record names is here and hashes to its name. The manifest's own SHA-256
//! is the package's fingerprint; the centre records it in its administrative chain when
//! it exports the package.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chain::{self, Entry, Link};
use crate::signatures::{self, SignedMutation};
use crate::{EvidenceError, sha256_hex};

/// The format named in a manifest.
pub const FORMAT: &str = "gridwalk-evidence/1";
const MANIFEST: &str = "manifest.json";

/// `report.json`: the report's row as sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFile {
    pub report: String,
    #[serde(default)]
    pub case_no: Option<String>,
    /// The row as [`chain::seal`] covers it.
    pub row: Value,
    pub seal: Option<String>,
    /// Photos a record names whose bytes the centre did not hold when the package was made
    /// (a verification's photos still on their way).
    #[serde(default)]
    pub photos_absent: Vec<String>,
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub report: String,
    #[serde(default)]
    pub case_no: Option<String>,
    pub made_at: String,
    pub made_by: String,
    pub files: Vec<FileEntry>,
}

/// What a package holds, to write.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    pub report: &'a ReportFile,
    pub versions: &'a [Link],
    pub events: &'a [Link],
    /// The tasks as JSON (an array of objects with a `photos` array of `{sha256, …}`).
    pub tasks: &'a Value,
    /// The signed mutations that made the versions and events.
    pub signatures: &'a [SignedMutation],
}

fn write_json(dir: &Path, name: &str, v: &impl Serialize) -> Result<(), EvidenceError> {
    let path = dir.join(name);
    let text = serde_json::to_vec_pretty(v).map_err(|source| EvidenceError::Json {
        path: path.display().to_string(),
        source,
    })?;
    std::fs::write(&path, text).map_err(|e| EvidenceError::io(&path, e))
}

const README: &str = "\
Gridwalk 案件证据包 / case evidence package

本目录是一个案件的完整记录：report.json（案件当前状态及封印）、versions.json（每一版记录，含哈希链）、
events.json（办理过程每一步，含哈希链）、tasks.json（核查任务）、signatures.json（平板对每次上报的
数字签名及所签内容）、photos/（全部照片，文件名即其 SHA-256），manifest.json（每个文件的大小和 SHA-256）。
核验方法：gridwalk-evidence verify <本目录>。输出 OK 即完好；否则指出第一处被改动的内容。
输出中列出签名平板的公钥指纹，可与平板“设置”中显示的指纹核对。

This directory holds one case: report.json (its present state and seal), versions.json (every
version, hash-chained), events.json (every step of the case, hash-chained), tasks.json
(verifications), signatures.json (each tablet's signature of what it sent, with the signed
form), photos/ (every photo, named by its SHA-256) and manifest.json (the size and SHA-256 of
every file). To check it: gridwalk-evidence verify <this directory>. It prints OK, or the
first item that was changed. It lists the fingerprint of each tablet key that signed, to
compare with the one the tablet shows in its settings.
";

/// Writes the records of a package into `dir` (created if needed); the caller then adds
/// the photos at [`photo_path`] and calls [`finish`].
///
/// # Errors
/// A file that cannot be written.
pub fn write_records(dir: &Path, r: &Records<'_>) -> Result<(), EvidenceError> {
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).map_err(|e| EvidenceError::io(&photos, e))?;
    write_json(dir, "report.json", r.report)?;
    write_json(dir, "versions.json", &r.versions)?;
    write_json(dir, "events.json", &r.events)?;
    write_json(dir, "tasks.json", r.tasks)?;
    write_json(dir, "signatures.json", &r.signatures)?;
    let readme = dir.join("README.txt");
    std::fs::write(&readme, README).map_err(|e| EvidenceError::io(&readme, e))
}

/// Where a photo goes in a package.
#[must_use]
pub fn photo_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join("photos").join(format!("{sha256}.jpg"))
}

/// Every photo a package's records name: those of every version's record and of every
/// task.
#[must_use]
pub fn photos_named(versions: &[Link], tasks: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |photos: &Value| {
        for p in photos.as_array().into_iter().flatten() {
            if let Some(s) = p["sha256"].as_str() {
                out.insert(s.to_owned());
            }
        }
    };
    for l in versions {
        if let Entry::ReportVersion(v) = &l.entry {
            add(&v.record["photos"]);
        }
    }
    for t in tasks.as_array().into_iter().flatten() {
        add(&t["photos"]);
    }
    out
}

fn files_under(dir: &Path, base: &Path, out: &mut Vec<String>) -> Result<(), EvidenceError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| EvidenceError::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, base, out)?;
        } else if let Ok(rel) = p.strip_prefix(base) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if rel != MANIFEST {
                out.push(rel);
            }
        }
    }
    Ok(())
}

/// Writes `manifest.json` over every file in `dir` and returns its SHA-256 (the package's
/// fingerprint).
///
/// # Errors
/// A file that cannot be read, or the manifest written.
pub fn finish(
    dir: &Path,
    report: &ReportFile,
    made_at: &str,
    made_by: &str,
) -> Result<String, EvidenceError> {
    let mut paths = Vec::new();
    files_under(dir, dir, &mut paths)?;
    let files = paths
        .into_iter()
        .map(|p| {
            let full = dir.join(&p);
            let bytes = std::fs::read(&full).map_err(|e| EvidenceError::io(&full, e))?;
            Ok(FileEntry {
                path: p,
                bytes: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            })
        })
        .collect::<Result<Vec<_>, EvidenceError>>()?;
    let manifest = Manifest {
        format: FORMAT.into(),
        report: report.report.clone(),
        case_no: report.case_no.clone(),
        made_at: made_at.into(),
        made_by: made_by.into(),
        files,
    };
    write_json(dir, MANIFEST, &manifest)?;
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| EvidenceError::io(&path, e))?;
    Ok(sha256_hex(&bytes))
}

/// The first thing wrong with a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file or entry ("photos/ab….jpg", "versions.json: version 2").
    pub item: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.item, self.what)
    }
}

fn problem(item: impl Into<String>, what: impl Into<String>) -> Problem {
    Problem {
        item: item.into(),
        what: what.into(),
    }
}

/// What a sound package holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub report: String,
    pub case_no: Option<String>,
    pub files: usize,
    pub versions: usize,
    pub events: usize,
    pub photos: usize,
    /// What the device signatures showed.
    pub signatures: signatures::Checked,
    /// The SHA-256 of `manifest.json`.
    pub fingerprint: String,
}

/// A file the manifest lists, read only if it is what a package holds: a plain file (no
/// link, no device) inside the package, of the size the manifest says.
fn read_listed(dir: &Path, f: &FileEntry) -> Result<Vec<u8>, Problem> {
    let rel = Path::new(&f.path);
    if f.path.is_empty()
        || !rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return Err(problem(
            &f.path,
            "is not a path inside the package (the manifest may name only its own files)",
        ));
    }
    let path = dir.join(rel);
    let meta = std::fs::symlink_metadata(&path)
        .map_err(|_| problem(&f.path, "is missing (listed in the manifest)"))?;
    if !meta.is_file() {
        return Err(problem(&f.path, "is not a plain file (a link or a device)"));
    }
    if meta.len() != f.bytes {
        return Err(problem(
            &f.path,
            format!(
                "holds {} bytes, the manifest says {} (the file was changed)",
                meta.len(),
                f.bytes
            ),
        ));
    }
    std::fs::read(&path).map_err(|e| problem(&f.path, format!("cannot be read: {e}")))
}

fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<T, Problem> {
    let bytes =
        std::fs::read(dir.join(name)).map_err(|e| problem(name, format!("cannot be read: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| problem(name, format!("is not what it should be: {e}")))
}

/// Checks a package with nothing but its files.
///
/// # Errors
/// The first thing wrong: a file changed, missing or added; a chain broken; the report's
/// row or seal not matching its chains; a photo missing or not hashing to its name.
pub fn check(dir: &Path) -> Result<Summary, Problem> {
    let manifest: Manifest = read_json(dir, MANIFEST)?;
    if manifest.format != FORMAT {
        return Err(problem(
            MANIFEST,
            format!("format {:?}, not {FORMAT:?}", manifest.format),
        ));
    }
    let fingerprint = std::fs::read(dir.join(MANIFEST))
        .map(|b| sha256_hex(&b))
        .map_err(|e| problem(MANIFEST, e.to_string()))?;
    let mut present = Vec::new();
    files_under(dir, dir, &mut present).map_err(|e| problem(".", e.to_string()))?;
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    if let Some(extra) = present.iter().find(|p| !listed.contains(p.as_str())) {
        return Err(problem(
            extra.as_str(),
            "is not in the manifest (added after export)",
        ));
    }
    for f in &manifest.files {
        let bytes = read_listed(dir, f)?;
        let sha = sha256_hex(&bytes);
        if sha != f.sha256 {
            return Err(problem(
                &f.path,
                format!(
                    "its SHA-256 is {sha}, the manifest says {} (the file was changed)",
                    f.sha256
                ),
            ));
        }
    }
    let report: ReportFile = read_json(dir, "report.json")?;
    let versions: Vec<Link> = read_json(dir, "versions.json")?;
    let events: Vec<Link> = read_json(dir, "events.json")?;
    let tasks: Value = read_json(dir, "tasks.json")?;
    let signed: Vec<SignedMutation> = if dir.join("signatures.json").exists() {
        read_json(dir, "signatures.json")?
    } else {
        Vec::new()
    };
    if report.report != manifest.report {
        return Err(problem(
            "report.json",
            "is about another report than the manifest",
        ));
    }
    let checked = chain::check_report(&report.row, report.seal.as_deref(), &versions, &events)
        .map_err(|b| {
            let file = if b.label.starts_with("version") {
                "versions.json"
            } else if b.label.starts_with("case event") {
                "events.json"
            } else {
                "report.json"
            };
            problem(format!("{file}: {}", b.label), b.what)
        })?;
    let signatures = signatures::check(&versions, &events, &signed).map_err(|b| {
        let file = if b.label.starts_with("version") {
            "versions.json"
        } else {
            "events.json"
        };
        problem(format!("{file}: {}", b.label), b.what)
    })?;
    let photos = photos_named(&versions, &tasks);
    let mut held = 0;
    for sha in &photos {
        let rel = format!("photos/{sha}.jpg");
        let Ok(bytes) = std::fs::read(photo_path(dir, sha)) else {
            if report.photos_absent.contains(sha) {
                continue;
            }
            return Err(problem(&rel, "is missing (a record names it)"));
        };
        held += 1;
        let actual = sha256_hex(&bytes);
        if actual != *sha {
            return Err(problem(
                &rel,
                format!("its bytes hash to {actual}, not to its name"),
            ));
        }
    }
    Ok(Summary {
        report: report.report,
        case_no: report.case_no,
        files: manifest.files.len(),
        versions: checked.versions,
        events: checked.events,
        photos: held,
        signatures,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{link, seal};
    use crate::sample;
    use serde_json::json;

    #[test]
    fn a_package_as_written_checks() {
        let dir = tempfile::tempdir().expect("dir");
        let _ = sample::write(dir.path());
        let s = check(dir.path()).expect("sound");
        assert_eq!((s.versions, s.events, s.photos), (1, 1, 1));
        assert_eq!((s.signatures.signed, s.signatures.unsigned.len()), (1, 0));
        assert_eq!(s.signatures.keys.len(), 1);
    }

    #[test]
    fn a_changed_photo_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let sample = sample::write(dir.path());
        let photo = photo_path(dir.path(), &sample.photo_sha256);
        let mut bytes = std::fs::read(&photo).expect("read");
        bytes[3] ^= 1;
        std::fs::write(&photo, bytes).expect("write");
        let p = check(dir.path()).expect_err("changed");
        assert!(p.item.starts_with("photos/"), "{p}");
    }

    fn remake_manifest(dir: &Path) {
        let report: ReportFile =
            serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("read"))
                .expect("json");
        finish(dir, &report, "later", "forger").expect("remade");
    }

    #[test]
    fn a_changed_record_with_a_remade_manifest_is_still_named() {
        let dir = tempfile::tempdir().expect("dir");
        let _ = sample::write(dir.path());
        let path = dir.path().join("events.json");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("\"leader\"", "\"someone\"")).expect("write");
        let p = check(dir.path()).expect_err("changed");
        assert_eq!(p.item, "events.json");
        remake_manifest(dir.path());
        let p = check(dir.path()).expect_err("chain");
        assert_eq!(p.item, "events.json: case event 1", "{p}");
    }

    /// Someone with the whole database rewrites a record and re-hashes everything after
    /// it: chains, seal and manifest all agree again. Only the tablet's signature, which
    /// needs the tablet's key, still tells.
    #[test]
    fn a_record_rewritten_with_its_chain_and_seal_remade_fails_its_signature() {
        let dir = tempfile::tempdir().expect("dir");
        let _ = sample::write(dir.path());
        let mut versions: Vec<Link> = read_json(dir.path(), "versions.json").expect("versions");
        let events: Vec<Link> = read_json(dir.path(), "events.json").expect("events");
        let mut report: ReportFile = read_json(dir.path(), "report.json").expect("report");
        let Entry::ReportVersion(v) = &mut versions[0].entry else {
            unreachable!("the sample's first entry is a version")
        };
        v.record["description"] = json!("无问题");
        let record = v.record.clone();
        let versions = link(vec![("version 1".into(), versions[0].entry.clone())]);
        report.row["record"] = record;
        report.seal = Some(seal(
            &report.row,
            versions[0].hash.as_deref().unwrap_or_default(),
            events[0].hash.as_deref().unwrap_or_default(),
        ));
        write_json(dir.path(), "versions.json", &versions).expect("write");
        write_json(dir.path(), "report.json", &report).expect("write");
        remake_manifest(dir.path());
        let p = check(dir.path()).expect_err("forged");
        assert_eq!(p.item, "versions.json: version 1", "{p}");
        assert!(p.what.contains("changed after the device signed it"), "{p}");
    }

    #[test]
    fn a_changed_signed_form_or_signature_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let _ = sample::write(dir.path());
        let path = dir.path().join("signatures.json");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("乱堆物堆料", "无问题")).expect("write");
        remake_manifest(dir.path());
        let p = check(dir.path()).expect_err("form");
        assert!(p.what.contains("signature does not hold"), "{p}");

        // Re-signed with another key, the form matches again, but the key is not the
        // tablet's: the signature in the chained entry no longer matches it.
        let mut signed: Vec<SignedMutation> = read_json(dir.path(), "signatures.json").expect("s");
        let other = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let mut body: Value = serde_json::from_slice(
            &signed[0].signed.as_bytes()[gridwalk_protocol::signing::SIGNED_PREFIX.len()..],
        )
        .expect("form");
        let sha = body["body"]["report"]["photos"][0]["sha256"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        body["body"]["report"] = sample::record(&sha);
        signed[0] = sample::signed(&other, 1, &body["body"]);
        write_json(dir.path(), "signatures.json", &signed).expect("write");
        remake_manifest(dir.path());
        let p = check(dir.path()).expect_err("key");
        assert!(p.what.contains("differs from the one kept"), "{p}");
    }

    #[test]
    fn the_manifest_names_only_plain_files_inside_the_package() {
        let dir = tempfile::tempdir().expect("dir");
        let _ = sample::write(dir.path());
        let mut manifest: Manifest = read_json(dir.path(), MANIFEST).expect("manifest");
        let outside = std::env::current_exe().expect("exe");
        for path in [
            outside.display().to_string(),
            "../../../../etc/hostname".to_owned(),
            "photos/../report.json".to_owned(),
        ] {
            let mut m = manifest.clone();
            m.files.push(FileEntry {
                path: path.clone(),
                bytes: 1,
                sha256: "0".repeat(64),
            });
            write_json(dir.path(), MANIFEST, &m).expect("write");
            let p = check(dir.path()).expect_err("outside");
            assert_eq!(p.item, path);
            assert!(p.what.contains("not a path inside the package"), "{p}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/dev/zero", dir.path().join("photos/zero.jpg"))
                .expect("link");
            manifest.files.push(FileEntry {
                path: "photos/zero.jpg".into(),
                bytes: 0,
                sha256: sha256_hex(b""),
            });
            write_json(dir.path(), MANIFEST, &manifest).expect("write");
            let p = check(dir.path()).expect_err("link");
            assert!(p.what.contains("not a plain file"), "{p}");
        }
    }

    #[test]
    fn an_added_file_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let _ = sample::write(dir.path());
        std::fs::write(dir.path().join("photos/extra.jpg"), b"x").expect("write");
        let p = check(dir.path()).expect_err("added");
        assert_eq!(p.item, "photos/extra.jpg");
    }
}
