//! Imports from the console: an administrator sends a city's file, the centre checks it as
//! the command line does ([`super::admin::import_grid`], [`super::admin::import_codes`],
//! [`super::admin::import_people`]) and answers with the report; with no problem and not
//! only checked, it is stored in one step and recorded under the administrator's name.
//!
//! The file arrives as the request's body, named by the query. A Shapefile is several files
//! (`.shp`, `.shx`, `.dbf`, `.prj`, `.cpg`), so it comes as one `.zip` of them; the archive is
//! unpacked into a private temporary directory with every name reduced to its last part and
//! only the extensions a grid uses, each entry and the whole bounded, so neither a path
//! like `../../etc` nor a small archive that inflates to gigabytes can reach past it.

use std::io::Read;
use std::path::{Path, PathBuf};

use gridwalk_protocol::console::{ImportAnswer, ImportKind, ImportProblem};
use gridwalk_protocol::message::msg;

use super::admin::{self, Actor};
use crate::error::AppError;
use crate::store::CaseStore;

/// The largest file the console takes (a city's grid GeoPackage is a few MB).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// The most a `.zip` may inflate to, all entries together.
const MAX_UNPACKED: u64 = 256 * 1024 * 1024;

/// What to do with the file, besides its kind.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// The file's name as the administrator's computer has it (for its extension).
    pub name: String,
    pub check_only: bool,
    /// The code table's version (codes only).
    pub version: Option<String>,
    pub title: Option<String>,
    /// The grid options the command line takes (grid only).
    pub crs: Option<String>,
    pub new_area: bool,
    pub tolerance_m2: Option<f64>,
    /// The file is the whole grid (or the whole component layer of its districts): what is
    /// stored and not in it is retired.
    pub retire_missing: bool,
}

fn refused(text: String) -> AppError {
    AppError::BadRequest(msg!(IMPORT_REFUSED, reason = text))
}

/// Checks, and unless only checking stores, the file `bytes` of `kind` (see the module).
pub async fn import(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    kind: ImportKind,
    request: &ImportRequest,
    bytes: &[u8],
) -> Result<ImportAnswer, AppError> {
    actor.may()?;
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.to_string()))?;
    let file = unpack(dir.path(), &request.name, bytes, kind)?;
    let shown = Path::new(&request.name).file_name().map_or_else(
        || request.name.clone(),
        |n| n.to_string_lossy().into_owned(),
    );
    // Words about the file name it as the administrator sent it, never by the server's
    // temporary path.
    let (file_text, dir_text) = (file.display().to_string(), dir.path().display().to_string());
    let unreadable = |e: anyhow::Error| {
        refused(
            e.to_string()
                .replace(&file_text, &shown)
                .replace(&dir_text, ""),
        )
    };
    // Stored exactly when asked to store and nothing was wrong: the store ran in that case,
    // whether or not any row differed from what it held.
    let answer = |summary: String, problems: Vec<ImportProblem>| ImportAnswer {
        stored: !request.check_only && problems.is_empty(),
        summary,
        problems,
    };
    let row = |r: usize| u32::try_from(r).unwrap_or(u32::MAX);
    let refusal = |n: usize| match n {
        1 => format!("{shown}: 1 problem; nothing was imported"),
        n => format!("{shown}: {n} problems; nothing was imported"),
    };
    let mut options = gridwalk_gis::Options {
        crs: request
            .crs
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(gridwalk_gis::Crs::from_name)
            .transpose()
            .map_err(|e| unreadable(e.into()))?,
        new_area: request.new_area,
        retire_missing: request.retire_missing,
        ..gridwalk_gis::Options::default()
    };
    if let Some(t) = request.tolerance_m2 {
        options.tolerance_m2 = t;
    }
    let problems_of = |problems: &[gridwalk_gis::Problem]| {
        problems
            .iter()
            .map(|p| ImportProblem {
                row: row(p.row),
                code: p.code.clone(),
                message: p.message.clone(),
                at: p.at,
            })
            .collect::<Vec<_>>()
    };
    // A list's problems (people, departments) name only their rows.
    let rows_refused = |problems: Vec<crate::domain::roster::RowProblem>| {
        problems
            .into_iter()
            .map(|p| ImportProblem {
                row: row(p.row),
                code: None,
                message: p.message,
                at: None,
            })
            .collect::<Vec<_>>()
    };
    Ok(match kind {
        ImportKind::Components => {
            let done = admin::import_components(
                store,
                actor,
                &file,
                &shown,
                &options,
                &gridwalk_gis::components::ComponentFields::default(),
                request.check_only,
            )
            .await
            .map_err(unreadable)?;
            let checked = &done.checked;
            let mut summary = checked
                .report()
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned();
            if checked.problems.is_empty() && done.missing > 0 {
                summary.push_str("; ");
                summary.push_str(&admin::not_in_file(
                    done.missing,
                    "components of its districts",
                    request.retire_missing,
                    request.check_only,
                ));
            }
            answer(summary, problems_of(&checked.problems))
        }
        ImportKind::Grid => {
            let done =
                admin::import_grid(store, actor, &file, &shown, &options, request.check_only)
                    .await
                    .map_err(unreadable)?;
            let checked = &done.checked;
            let mut summary = checked
                .report()
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned();
            if let Some([w, s, e, n]) = checked.extent {
                summary.push_str(&format!("; within {w:.4}-{e:.4}°E, {s:.4}-{n:.4}°N"));
            }
            if done.left_alone > 0 && checked.problems.is_empty() {
                summary.push_str("; ");
                summary.push_str(&admin::not_in_file(
                    done.left_alone,
                    "cells",
                    request.retire_missing,
                    request.check_only,
                ));
            }
            answer(summary, problems_of(&checked.problems))
        }
        ImportKind::Codes => {
            let version = request.version.clone().unwrap_or_default();
            let title = request.title.clone().unwrap_or_default();
            let read = admin::import_codes(
                store,
                actor,
                &file,
                &shown,
                &version,
                &title,
                request.check_only,
            )
            .await
            .map_err(unreadable)?;
            match read {
                Ok(count) => answer(
                    format!("code table {version}: {count} categories from {shown}"),
                    Vec::new(),
                ),
                Err(problems) => answer(
                    refusal(problems.len()),
                    problems
                        .into_iter()
                        .map(|p| ImportProblem {
                            row: row(p.row),
                            code: p.code,
                            message: p.message,
                            at: None,
                        })
                        .collect(),
                ),
            }
        }
        ImportKind::Departments => {
            match admin::import_departments(store, actor, &file, &shown, request.check_only)
                .await
                .map_err(unreadable)?
            {
                Ok(list) => answer(
                    format!("{} departments from {shown}", list.len()),
                    Vec::new(),
                ),
                Err(problems) => answer(refusal(problems.len()), rows_refused(problems)),
            }
        }
        ImportKind::People => {
            match admin::import_people(store, actor, &file, &shown, request.check_only)
                .await
                .map_err(unreadable)?
            {
                Ok(people) => answer(format!("{} people from {shown}", people.len()), Vec::new()),
                Err(problems) => answer(refusal(problems.len()), rows_refused(problems)),
            }
        }
    })
}

/// The extensions each kind of import reads.
fn readable(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Grid | ImportKind::Components => &["geojson", "json", "gpkg", "shp"],
        ImportKind::Codes | ImportKind::People | ImportKind::Departments => &["csv", "xlsx"],
    }
}

/// Whether the kind is read from a GIS file (a Shapefile may come as a `.zip`).
fn geographic(kind: ImportKind) -> bool {
    matches!(kind, ImportKind::Grid | ImportKind::Components)
}

/// The lower-case extension of a name.
fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Writes the upload into `dir` (a `.zip` unpacked) and returns the file to read.
fn unpack(dir: &Path, name: &str, bytes: &[u8], kind: ImportKind) -> Result<PathBuf, AppError> {
    let ext = extension(name);
    if ext != "zip" {
        if !readable(kind).contains(&ext.as_str()) {
            return Err(refused(format!(
                "{name:?}: this import reads {} files{}",
                readable(kind).join(", "),
                if geographic(kind) {
                    " (a Shapefile as one .zip of its .shp, .shx, .dbf, .prj and .cpg)"
                } else {
                    ""
                }
            )));
        }
        if ext == "shp" {
            return Err(refused(
                "a Shapefile is several files: send its .shp, .shx, .dbf, .prj and .cpg \
                 together in one .zip"
                    .into(),
            ));
        }
        let path = dir.join(format!("upload.{ext}"));
        std::fs::write(&path, bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        return Ok(path);
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| refused(format!("{name:?} is not a zip archive: {e}")))?;
    let wanted = ["shp", "shx", "dbf", "prj", "cpg"];
    let mut total: u64 = 0;
    let mut main: Vec<PathBuf> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| refused(format!("{name:?}: entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let entry_name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        // The last part only: no directories, no "..", nothing outside `dir`.
        let Some(base) = entry_name
            .rsplit(['/', '\\'])
            .next()
            .filter(|b| !b.is_empty() && !b.starts_with('.'))
        else {
            continue;
        };
        let ext = extension(base);
        let main_kind = readable(kind).contains(&ext.as_str());
        if !(main_kind || (geographic(kind) && wanted.contains(&ext.as_str()))) {
            continue;
        }
        let stem = Path::new(base)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Named within what a file system takes (a name of thousands of characters is
        // no Shapefile's), each name once: two entries of one name would be one file.
        let mut safe = String::new();
        for c in stem.chars().map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        }) {
            // File systems take 255 bytes a name; a Chinese character is 3 in UTF-8.
            if safe.len() + c.len_utf8() > 150 {
                break;
            }
            safe.push(c);
        }
        let target = dir.join(format!("{safe}.{ext}"));
        if target.exists() {
            return Err(refused(format!(
                "{name:?} holds two files named {safe}.{ext} (in different folders, or \
                 differing only in characters a file name cannot keep): send one layer's \
                 files only"
            )));
        }
        let mut out = Vec::new();
        let room = MAX_UNPACKED - total;
        (&mut entry)
            .take(room + 1)
            .read_to_end(&mut out)
            .map_err(|e| refused(format!("{name:?}: {base}: {e}")))?;
        total += out.len() as u64;
        if total > MAX_UNPACKED {
            return Err(refused(format!(
                "{name:?} unpacks to more than {} MB",
                MAX_UNPACKED / 1024 / 1024
            )));
        }
        std::fs::write(&target, &out).map_err(|e| AppError::Internal(e.to_string()))?;
        if main_kind {
            main.push(target);
        }
    }
    main.sort();
    main.dedup();
    match main.len() {
        1 => Ok(main.remove(0)),
        0 => Err(refused(format!(
            "{name:?} holds no {} file",
            readable(kind).join(", ")
        ))),
        n => Err(refused(format!(
            "{name:?} holds {n} files to import ({}); send one",
            main.iter()
                .filter_map(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            out.start_file(*name, options).expect("entry");
            out.write_all(bytes).expect("write");
        }
        out.finish().expect("zip").into_inner()
    }

    #[test]
    fn a_zip_is_unpacked_by_last_name_only() {
        let dir = tempfile::tempdir().expect("dir");
        let bytes = zip_of(&[
            ("../../evil/grid.shp", b"shp"),
            ("grid/grid.dbf", b"dbf"),
            ("grid.prj", b"prj"),
            ("readme.txt", b"ignored"),
            ("/abs/.hidden.shp", b"no"),
        ]);
        let main = unpack(dir.path(), "city.zip", &bytes, ImportKind::Grid).expect("unpacked");
        assert_eq!(main, dir.path().join("grid.shp"));
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["grid.dbf", "grid.prj", "grid.shp"]);
    }

    #[test]
    fn a_zip_inflating_past_the_bound_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let zeros = vec![0u8; 16 * 1024 * 1024];
        let entries: Vec<(String, &[u8])> = (0..17)
            .map(|i| (format!("part{i}.dbf"), zeros.as_slice()))
            .collect();
        let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, b)| (n.as_str(), *b)).collect();
        let bytes = zip_of(&refs);
        assert!(bytes.len() < MAX_UPLOAD, "{}", bytes.len());
        let e = unpack(dir.path(), "bomb.zip", &bytes, ImportKind::Grid).expect_err("bomb");
        assert!(e.to_string().contains("unpacks to more than"), "{e}");
    }

    #[test]
    fn a_lone_shp_and_a_foreign_file_are_refused_in_words() {
        let dir = tempfile::tempdir().expect("dir");
        let e = unpack(dir.path(), "grid.shp", b"x", ImportKind::Grid).expect_err("shp");
        assert!(e.to_string().contains("one .zip"), "{e}");
        let e = unpack(dir.path(), "grid.exe", b"x", ImportKind::Codes).expect_err("exe");
        assert!(e.to_string().contains("csv, xlsx"), "{e}");
        let two = zip_of(&[("a.gpkg", b"1"), ("b.geojson", b"2")]);
        let e = unpack(dir.path(), "two.zip", &two, ImportKind::Grid).expect_err("two");
        assert!(e.to_string().contains("send one"), "{e}");
    }

    #[test]
    fn a_name_too_long_for_a_file_and_a_name_twice_are_refused_in_words() {
        // A 5,000-character entry name is cut to what a file system takes (it used to
        // fail the write: a 500).
        let dir = tempfile::tempdir().expect("dir");
        let long = format!("{}.geojson", "网".repeat(5000));
        let bytes = zip_of(&[(long.as_str(), b"{}")]);
        let main = unpack(dir.path(), "long.zip", &bytes, ImportKind::Components).expect("cut");
        assert!(main.file_name().expect("name").len() < 400);
        // The same name in two folders: one would overwrite the other unseen.
        let dir = tempfile::tempdir().expect("dir");
        let twice = zip_of(&[
            ("a/grid.shp", b"1"),
            ("a/grid.dbf", b"2"),
            ("b/grid.dbf", b"3"),
        ]);
        let e = unpack(dir.path(), "twice.zip", &twice, ImportKind::Grid).expect_err("twice");
        assert!(e.to_string().contains("two files named grid.dbf"), "{e}");
    }
}
