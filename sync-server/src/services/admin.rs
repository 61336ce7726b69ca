//! What administrators do, as library functions the server's `admin` subcommands and the
//! console's administration routes share: load reference data and users from the fixture
//! files, create people and set passwords, enroll, list and revoke devices, disable and
//! enable people, read the audit trail; verify the hash chains and the photos' bytes
//! ([`verify`]) and export a case's evidence package ([`export_case`]). Every act that
//! changes or exports something is recorded in the administrative audit trail
//! ([`AdminAct`], itself hash-chained) with who did it: the login of the person signed in
//! to the console, or `cli` for the server's command line ([`Actor`]). A person acts only
//! as the access rule lets them ([`crate::domain::access`], [`Act::Administer`]).

use gridwalk_protocol::message::msg;
use std::path::Path;

use gridwalk_evidence::package;
use gridwalk_protocol::console::{Account, Role};
use gridwalk_protocol::intake::Source;
use gridwalk_protocol::{CellCode, CodeTable, DeviceId, ReportId, UserId};

use crate::auth;
use crate::blobs::BlobStore;
use gridwalk_protocol::enrollment::{self, CodeRequest, EnrollRequest, Enrolled, EnrollmentCode};

use crate::domain::access::{Act, Subject, Who, decide, reach};
use crate::domain::chain;
use crate::domain::enrollment::{self as domain_enrollment, Redeemed, Refusal};
use crate::domain::model::{AdminAct, DeviceEntry, User};
use crate::domain::rules::{self, CaseRules};
use crate::error::AppError;
use crate::store::CaseStore;

/// Who acts through the server's command line.
pub const CLI: &str = "cli";

/// Who does an administrative act.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The server's command line (whoever can run it holds the database already).
    Cli,
    /// A person signed in to the console.
    Person(&'a User),
}

impl Actor<'_> {
    /// The name the audit trail records.
    fn name(&self) -> &str {
        match self {
            Actor::Cli => CLI,
            Actor::Person(u) => &u.login,
        }
    }

    /// Refuses a person the rule does not let administer.
    pub(crate) fn may(&self) -> Result<(), AppError> {
        match self {
            Actor::Cli => Ok(()),
            Actor::Person(u) => Ok(decide(&Who::from(*u), Act::Administer, Subject::Any)?),
        }
    }
}

/// Records an administrative act.
async fn record(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    action: &str,
    subject: &str,
    detail: Option<String>,
) -> Result<(), AppError> {
    store
        .record_admin_act(&AdminAct {
            id: uuid::Uuid::now_v7(),
            at: chrono::Utc::now(),
            actor: actor.name().to_owned(),
            action: action.into(),
            subject: one_line(subject),
            detail: detail.as_deref().map(one_line),
        })
        .await?;
    Ok(())
}

/// Text for the administrative chain on one line: a file name or title carrying a line
/// break or another control character would otherwise let one entry pass for two when
/// the chain is read (`\n` is kept as the two characters `\` `n`).
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The person with `login`, or a 404 in words.
async fn person(store: &dyn CaseStore, login: &str) -> Result<User, AppError> {
    store
        .user_by_login(login)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(NO_LOGIN, login = format!("{login:?}"))))
}

/// How much `load_fixtures` loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub code_tables: usize,
    pub cells: usize,
    pub components: usize,
    pub users: usize,
    pub departments: usize,
}

/// Loads `codes.json`, `grid/*.geojson`, `users.json` and `case-rules.json` from a
/// fixtures directory. Re-running it updates in place.
pub async fn load_fixtures(store: &dyn CaseStore, dir: &Path) -> anyhow::Result<Loaded> {
    use anyhow::Context;
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));

    let codes = read(&dir.join("codes.json"))?;
    let table = CodeTable::from_json(&codes).context("codes.json")?;
    store
        .put_code_table(table.version(), &codes, chrono::Utc::now())
        .await?;

    let mut cells = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir.join("grid"))
        .with_context(|| format!("reading {}", dir.join("grid").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "geojson"))
        .collect();
    files.sort();
    for f in &files {
        let fc: serde_json::Value =
            serde_json::from_str(&read(f)?).with_context(|| f.display().to_string())?;
        for feature in fc["features"].as_array().into_iter().flatten() {
            let code: CellCode = feature["properties"]["code"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .with_context(|| format!("{}: a feature's code", f.display()))?;
            cells.push((code, feature.to_string()));
        }
    }
    // The cells must make a grid the centre can place reports in, as the devices will.
    crate::domain::reference::Reference::parse_grid(&cells).map_err(anyhow::Error::msg)?;
    let cell_count = store
        .put_cells(&cells, &[], chrono::Utc::now())
        .await?
        .stored;

    // Components, when the directory has them: checked as an import is.
    let mut component_count = 0;
    let component_dir = dir.join("components");
    if component_dir.is_dir() {
        let grid =
            crate::domain::reference::Reference::parse_grid(&cells).map_err(anyhow::Error::msg)?;
        let categories = gridwalk_gis::components::component_categories([&table]);
        let mut files: Vec<_> = std::fs::read_dir(&component_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "geojson"))
            .collect();
        files.sort();
        for f in files {
            let mut checked = gridwalk_gis::components::check_components(
                &f,
                &gridwalk_gis::Options::default(),
                &gridwalk_gis::components::ComponentFields::default(),
            )?;
            checked.check_against(&grid, &categories);
            let infos = checked
                .infos()
                .ok_or_else(|| anyhow::anyhow!("{}:\n{}", f.display(), checked.report()))?;
            component_count += store
                .put_components(&infos, &[], chrono::Utc::now())
                .await?;
        }
    }

    let users: Vec<User> =
        serde_json::from_str(&read(&dir.join("users.json"))?).context("users.json")?;
    for u in &users {
        store.put_user(u).await?;
    }

    let rules_text = read(&dir.join("case-rules.json"))?;
    let rules = CaseRules::from_json(&rules_text).map_err(anyhow::Error::msg)?;
    store
        .put_document(rules::DOCUMENT, &rules_text, chrono::Utc::now())
        .await?;
    record(
        store,
        Actor::Cli,
        "load_reference",
        &dir.display().to_string(),
        Some(format!(
            "code table {}, {cell_count} cells, {component_count} components, {} people",
            table.version(),
            users.len()
        )),
    )
    .await?;
    Ok(Loaded {
        code_tables: 1,
        cells: cell_count,
        components: component_count,
        users: users.len(),
        departments: rules.departments.len(),
    })
}

/// What an import of a city's grid did, or would do (`check` only).
#[derive(Debug)]
pub struct GridImport {
    pub checked: gridwalk_gis::CheckedGrid,
    /// Cells stored now (new or changed); 0 when only checked or refused.
    pub stored: usize,
    /// Stored cells the file does not have: they stay, or are retired with the import when
    /// `options.retire_missing` (the file is the whole grid).
    pub left_alone: usize,
    /// Logins of people whose cells include a retired one (their lists need changing).
    pub holding_retired: Vec<String>,
    /// SHA-256 of the file (of each part of a Shapefile), recorded with the import in the
    /// administrative chain.
    pub sha256: String,
}

/// Reads and checks a city's grid file ([`gridwalk_gis::check_grid`]) and, when it has no
/// problem and `check_only` is false, stores its cells in one transaction: devices get
/// them through the feed, and the centre places reports in them from its next read of the
/// reference data. A file with problems changes nothing; the caller shows the report.
/// The import is recorded in the administrative chain with the file's SHA-256, so which
/// grid was loaded when can be shown later.
pub async fn import_grid(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    path: &Path,
    label: &str,
    options: &gridwalk_gis::Options,
    check_only: bool,
) -> anyhow::Result<GridImport> {
    actor.may()?;
    let sha256 = file_digests(path)?;
    let mut checked = {
        let (path, options) = (path.to_owned(), options.clone());
        off_the_runtime(move || gridwalk_gis::check_grid(&path, &options)).await??
    };
    let (_, stored_cells) = store.all_cells(None).await?;
    let stored_cells = stored_cells.unwrap_or_default();
    checked.check_against_stored(&stored_cells, options);
    let in_file: std::collections::BTreeSet<&str> =
        checked.cells.iter().map(|c| c.code.as_str()).collect();
    let missing: Vec<CellCode> = stored_cells
        .iter()
        .filter(|(code, _)| !in_file.contains(code.as_str()))
        .map(|(code, _)| code.clone())
        .collect();
    let left_alone = missing.len();
    let features = match (checked.features(), check_only) {
        (Some(f), false) => f,
        _ => {
            return Ok(GridImport {
                checked,
                stored: 0,
                left_alone,
                holding_retired: Vec::new(),
                sha256,
            });
        }
    };
    // The centre must be able to place reports in the new cells, as devices will.
    crate::domain::reference::Reference::parse_grid(&features).map_err(anyhow::Error::msg)?;
    let retire = if options.retire_missing {
        &missing[..]
    } else {
        &[]
    };
    let put = store
        .put_cells(&features, retire, chrono::Utc::now())
        .await?;
    let stored = put.stored;
    let mut holding_retired = Vec::new();
    if !retire.is_empty() {
        holding_retired = store
            .users()
            .await?
            .into_iter()
            .filter(|(u, _)| u.cells.iter().any(|c| missing.contains(c)))
            .map(|(u, _)| u.login)
            .collect();
    }
    record(
        store,
        actor,
        "import_grid",
        label,
        Some(format!(
            "{stored} cells ({} retired, with {} components) from a {} in {}, SHA-256 {sha256}",
            put.retired, put.components_retired, checked.format, checked.crs
        )),
    )
    .await?;
    Ok(GridImport {
        checked,
        stored,
        left_alone,
        holding_retired,
        sha256,
    })
}

/// Words for `n` stored things (`what`: "cells") a file does not have: retired with the
/// import, to be retired (only checked), or left as they are.
#[must_use]
pub fn not_in_file(n: usize, what: &str, retire_missing: bool, check_only: bool) -> String {
    let fate = match (retire_missing, check_only) {
        (true, false) => "were retired",
        (true, true) => "would be retired",
        (false, _) => "stay as they are (--retire-missing retires them)",
    };
    format!("{n} stored {what} are not in this file and {fate}")
}

/// What an import of a city's component layer did, or would do (`check` only).
#[derive(Debug)]
pub struct ComponentImport {
    pub checked: gridwalk_gis::components::CheckedComponents,
    /// Components stored now; 0 when only checked or refused.
    pub stored: usize,
    /// Stored components of the file's districts the file does not have: retired when
    /// asked (`retire_missing`), else left as they are.
    pub missing: usize,
    pub retired: usize,
    /// SHA-256 of the file (of each part of a Shapefile).
    pub sha256: String,
}

/// Reads and checks a city's component layer ([`gridwalk_gis::components`]) against the
/// stored grid and code tables and, when it has no problem and `check_only` is false,
/// stores its components in one transaction; with `options.retire_missing`, components of the
/// file's districts that the file lacks are retired in the same transaction (the file is
/// the district's whole layer). Devices get them through the feed. Recorded in the
/// administrative chain with the file's SHA-256.
pub async fn import_components(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    path: &Path,
    label: &str,
    options: &gridwalk_gis::Options,
    fields: &gridwalk_gis::components::ComponentFields,
    check_only: bool,
) -> anyhow::Result<ComponentImport> {
    actor.may()?;
    let sha256 = file_digests(path)?;
    let mut checked = {
        let (path, options, fields) = (path.to_owned(), options.clone(), fields.clone());
        off_the_runtime(move || {
            gridwalk_gis::components::check_components(&path, &options, &fields)
        })
        .await??
    };
    let (_, cells) = store.all_cells(None).await?;
    let grid = crate::domain::reference::Reference::parse_grid(&cells.unwrap_or_default())
        .map_err(anyhow::Error::msg)?;
    let tables = store
        .code_tables()
        .await?
        .iter()
        .map(|(version, body)| {
            CodeTable::from_json(body).map_err(|e| anyhow::anyhow!("code table {version}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let categories = gridwalk_gis::components::component_categories(&tables);
    let checked = off_the_runtime(move || {
        checked.check_against(&grid, &categories);
        checked
    })
    .await?;
    let districts: std::collections::BTreeSet<String> = checked
        .components
        .iter()
        .filter_map(|c| c.id.get(..6).map(str::to_owned))
        .collect();
    let in_file: std::collections::BTreeSet<&str> =
        checked.components.iter().map(|c| c.id.as_str()).collect();
    let missing: Vec<gridwalk_protocol::ComponentId> = store
        .component_ids(&districts.iter().cloned().collect::<Vec<_>>())
        .await?
        .into_iter()
        .filter(|id| !in_file.contains(id.as_str()))
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut done = ComponentImport {
        stored: 0,
        missing: missing.len(),
        retired: 0,
        sha256,
        checked,
    };
    let Some(infos) = done.checked.infos().filter(|_| !check_only) else {
        return Ok(done);
    };
    let retire = if options.retire_missing {
        &missing[..]
    } else {
        &[]
    };
    done.stored = store
        .put_components(&infos, retire, chrono::Utc::now())
        .await?;
    done.retired = retire.len();
    record(
        store,
        actor,
        "import_components",
        label,
        Some(format!(
            "{} components ({} retired) from a {} in {}, SHA-256 {}",
            done.stored, done.retired, done.checked.format, done.checked.crs, done.sha256
        )),
    )
    .await?;
    Ok(done)
}

/// Reads a city's list of departments (CSV or XLSX: 部门编码, 部门名称, optional 英文名称;
/// see [`crate::domain::roster::departments`]) and, when every row is right and
/// `check_only` is false, stores them into the case rules (updated by code, added, the
/// others kept), recorded in the administrative chain. The departments as they would
/// stand, or every problem.
pub async fn import_departments(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    path: &Path,
    label: &str,
    check_only: bool,
) -> anyhow::Result<
    Result<Vec<gridwalk_protocol::console::Department>, Vec<crate::domain::roster::RowProblem>>,
> {
    actor.may()?;
    let rows = {
        let path = path.to_owned();
        off_the_runtime(move || gridwalk_gis::codes::read_rows(&path)).await??
    };
    let Some(text) = store.document(rules::DOCUMENT).await? else {
        anyhow::bail!("no case rules are loaded: load them (load-fixtures) before departments");
    };
    let held = CaseRules::from_json(&text)
        .map_err(anyhow::Error::msg)?
        .departments;
    let list = match crate::domain::roster::departments(&rows, &held) {
        Ok(list) => list,
        Err(problems) => return Ok(Err(problems)),
    };
    let mut doc: serde_json::Value = serde_json::from_str(&text)?;
    doc["departments"] = serde_json::to_value(&list)?;
    let new_text = serde_json::to_string_pretty(&doc)?;
    // The rules must still read as rules, as the centre will read them.
    CaseRules::from_json(&new_text).map_err(anyhow::Error::msg)?;
    if !check_only {
        store
            .put_document(rules::DOCUMENT, &new_text, chrono::Utc::now())
            .await?;
        record(
            store,
            actor,
            "import_departments",
            label,
            Some(format!(
                "{} departments ({} new), SHA-256 {}",
                list.len(),
                list.len() - held.len(),
                file_digests(path)?
            )),
        )
        .await?;
    }
    Ok(Ok(list))
}

/// Reads a city's list of people (CSV or XLSX, see [`crate::domain::roster`]), checks
/// every row against the cells stored, the case rules' departments and the people already
/// there, and, when all is well and `check_only` is false, stores them in one transaction
/// (someone already there by login is updated, keeping their ID, devices and password).
/// The problems come back for the caller to show; nothing is stored then.
pub async fn import_people(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    path: &Path,
    label: &str,
    check_only: bool,
) -> anyhow::Result<Result<Vec<User>, Vec<crate::domain::roster::RowProblem>>> {
    actor.may()?;
    let rows = {
        let path = path.to_owned();
        off_the_runtime(move || gridwalk_gis::codes::read_rows(&path)).await??
    };
    let (_, cells) = store.all_cells(None).await?;
    let cells: std::collections::BTreeSet<CellCode> = cells
        .unwrap_or_default()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let departments = match store.document(rules::DOCUMENT).await? {
        Some(text) => {
            CaseRules::from_json(&text)
                .map_err(anyhow::Error::msg)?
                .departments
        }
        None => Vec::new(),
    };
    let everyone: Vec<(User, bool)> = store
        .users()
        .await?
        .into_iter()
        .map(|(u, disabled)| (u, disabled.is_some()))
        .collect();
    let people: std::collections::BTreeMap<String, User> = everyone
        .iter()
        .map(|(u, _)| (u.login.clone(), u.clone()))
        .collect();
    let held = crate::domain::roster::Held {
        cells: &cells,
        departments: &departments,
        people: &people,
    };
    let list = match crate::domain::roster::people(&rows, &held) {
        Ok(list) => list,
        Err(problems) => return Ok(Err(problems)),
    };
    if let Err(problem) = crate::domain::roster::administrators_left(&everyone, &list) {
        return Ok(Err(vec![problem]));
    }
    if !check_only {
        store.put_users(&list).await?;
        let new = list
            .iter()
            .filter(|u| !people.contains_key(&u.login))
            .count();
        record(
            store,
            actor,
            "import_people",
            label,
            Some(format!(
                "{} people ({new} new, {} updated), SHA-256 {}",
                list.len(),
                list.len() - new,
                file_digests(path)?
            )),
        )
        .await?;
    }
    Ok(Ok(list))
}

/// Runs `f` (reading and checking a city's file: seconds for a large grid) on the blocking
/// pool, so a server's request threads keep answering meanwhile.
async fn off_the_runtime<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("the check stopped: {e}"))
}

/// The SHA-256 of a grid file; of a Shapefile, of each of its parts present (`.shp`,
/// `.shx`, `.dbf`, `.prj`, `.cpg`), since the attributes and the CRS are in the others.
fn file_digests(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let digest = |p: &Path| -> anyhow::Result<String> {
        let bytes = std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        Ok(auth::hex(&sha2::Sha256::digest(&bytes)))
    };
    let is_shapefile = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    if !is_shapefile {
        return digest(path);
    }
    let mut parts = vec![format!("shp {}", digest(path)?)];
    for ext in ["shx", "dbf", "prj", "cpg"] {
        let part = path.with_extension(ext);
        if part.is_file() {
            parts.push(format!("{ext} {}", digest(&part)?));
        }
    }
    Ok(parts.join(", "))
}

/// Reads a city's code table from a CSV or XLSX file ([`gridwalk_gis::codes`]) and, when
/// every row is sound and `check_only` is false, stores it under `version` as a new table:
/// devices get it in the feed, and reports keep the version they were filed under. A
/// version already stored with other content is refused (a changed table takes a new
/// version). The problems come back for the caller to show; nothing is stored then.
pub async fn import_codes(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    path: &Path,
    label: &str,
    version: &str,
    title: &str,
    check_only: bool,
) -> anyhow::Result<Result<usize, Vec<gridwalk_gis::Problem>>> {
    actor.may()?;
    let rows = {
        let path = path.to_owned();
        off_the_runtime(move || gridwalk_gis::codes::read_rows(&path)).await??
    };
    let (body, count) = match gridwalk_gis::codes::code_table(&rows, version, title)? {
        Ok(made) => made,
        Err(problems) => return Ok(Err(problems)),
    };
    CodeTable::from_json(&body).map_err(|e| anyhow::anyhow!("{e}"))?;
    let version = version.trim();
    if let Some((_, held)) = store
        .code_tables()
        .await?
        .into_iter()
        .find(|(v, _)| v == version)
    {
        let same = serde_json::from_str::<serde_json::Value>(&held).ok()
            == serde_json::from_str::<serde_json::Value>(&body).ok();
        if !same {
            anyhow::bail!(
                "code table {version} is already stored with other content; give the new \
                 table a new version (reports filed under {version} keep its codes)"
            );
        }
    }
    if !check_only {
        store
            .put_code_table(version, &body, chrono::Utc::now())
            .await?;
        record(
            store,
            actor,
            "import_codes",
            label,
            Some(format!(
                "code table {version}{}, {count} categories, SHA-256 {}",
                if title.trim().is_empty() {
                    String::new()
                } else {
                    format!(" ({})", title.trim())
                },
                file_digests(path)?
            )),
        )
        .await?;
    }
    Ok(Ok(count))
}

/// Enrolls `device` for the inspector with `login` and returns the new token (shown once).
/// Tablets are for inspectors (the access rule's [`Act::HoldTablet`]): anyone else, or a
/// disabled person, gets none.
pub async fn enroll_device(
    store: &dyn CaseStore,
    login: &str,
    device: DeviceId,
) -> anyhow::Result<String> {
    let user = credential_holder(
        store,
        login,
        Act::HoldTablet,
        "tablets are enrolled for inspectors",
    )
    .await?;
    let token = auth::new_token();
    store
        .enroll_device(
            device,
            user.id,
            &auth::token_hash(&token),
            chrono::Utc::now(),
        )
        .await?;
    record(
        store,
        Actor::Cli,
        "enroll_device",
        &device.to_string(),
        Some(format!("for {login}")),
    )
    .await?;
    Ok(token)
}

/// Makes a one-time enrollment code for the inspector `req.login` (an administrator for
/// anyone, a team leader for their own team's inspectors), keeps only its hash, and records
/// the act; the code is shown once, as text and as a QR code of [`enrollment::payload`].
pub async fn enrollment_code(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    req: &CodeRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<EnrollmentCode, AppError> {
    if let Actor::Person(u) = actor {
        let who = Who::from(u);
        decide(&who, Act::Enroll, Subject::Any)?;
        let user = person(store, req.login.trim()).await?;
        if let Some(team) = reach(&who, Act::Enroll).team()
            && user.team.as_deref() != Some(team)
        {
            return Err(AppError::Forbidden(msg!(
                ENROLL_NOT_YOUR_TEAM,
                login = &user.login
            )));
        }
    }
    let server = req.server.trim().trim_end_matches('/');
    if !(server.starts_with("https://") || server.starts_with("http://"))
        || url::Url::parse(server).is_err()
    {
        return Err(AppError::BadRequest(msg!(
            ENROLL_SERVER_ADDRESS,
            url = format!("{server:?}")
        )));
    }
    let expires_at = domain_enrollment::expiry(now, req.minutes).map_err(AppError::BadRequest)?;
    let user = tablet_holder(store, req.login.trim()).await?;
    let mut random = [0u8; enrollment::CODE_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
    let code = enrollment::code_from(random);
    let hash = code_hash(&code).ok_or_else(|| AppError::BadRequest(msg!(ENROLL_CODE_MALFORMED)))?;
    let act = AdminAct {
        id: uuid::Uuid::now_v7(),
        at: now,
        actor: actor.name().to_owned(),
        action: "enrollment_code".into(),
        subject: user.login.clone(),
        detail: Some(format!("expires {}", expires_at.to_rfc3339())),
    };
    store
        .create_enrollment_code(&hash, user.id, expires_at, &act)
        .await?;
    let payload = enrollment::payload(server, &code);
    let svg = qrcode::QrCode::with_error_correction_level(&payload, qrcode::EcLevel::M)
        .map_err(|e| AppError::BadRequest(gridwalk_protocol::Message::verbatim(e)))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    Ok(EnrollmentCode {
        code,
        login: user.login,
        name: user.name,
        expires_at,
        payload,
        svg,
    })
}

/// What the store keeps for a code as typed or scanned, if it is one.
fn code_hash(code: &str) -> Option<String> {
    enrollment::normalise_code(code).map(|c| auth::token_hash(&c))
}

/// The inspector `login`, if they may hold a tablet and are not disabled, else the refusal
/// in words.
async fn tablet_holder(store: &dyn CaseStore, login: &str) -> Result<User, AppError> {
    let (user, disabled) = store
        .users()
        .await?
        .into_iter()
        .find(|(u, _)| u.login == login)
        .ok_or_else(|| AppError::NotFound(msg!(NO_LOGIN, login = format!("{login:?}"))))?;
    decide(&Who::from(&user), Act::HoldTablet, Subject::Any)?;
    if disabled.is_some() {
        return Err(AppError::Forbidden(msg!(
            ENROLL_DISABLED,
            login = &user.login
        )));
    }
    Ok(user)
}

/// Redeems a one-time code for `req.device` (`POST /v1/enroll`, no token): enrolls it for
/// the code's inspector with a new token and its key bound, and answers the token and
/// profile. An unknown, used or expired code changes nothing (404, 409, 410); wrong codes
/// are counted per address (apart from the console's failed sign-ins) and refused past the
/// same limit, before the code is looked up.
pub async fn redeem_code(
    store: &dyn CaseStore,
    req: &EnrollRequest,
    address: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Enrolled, AppError> {
    use crate::domain::access::{MAX_FAILURES_PER_ADDRESS, SIGN_IN_WINDOW_MINUTES};
    let since = now - chrono::Duration::minutes(SIGN_IN_WINDOW_MINUTES);
    let (_, by_address) = store
        .sign_in_failures(domain_enrollment::THROTTLE_KEY, address, since)
        .await?;
    if by_address >= MAX_FAILURES_PER_ADDRESS {
        tracing::warn!(address, by_address, "enrollment codes locked out");
        return Err(AppError::Throttled {
            message: msg!(ENROLL_LOCKED, minutes = SIGN_IN_WINDOW_MINUTES),
            retry_after: u64::try_from(SIGN_IN_WINDOW_MINUTES * 60).unwrap_or(900),
        });
    }
    let failed = |error: AppError| async move {
        store
            .record_sign_in(domain_enrollment::THROTTLE_KEY, address, false, now)
            .await?;
        tracing::warn!(address, %error, "enrollment code refused");
        Err(error)
    };
    let Some(hash) = code_hash(&req.code) else {
        return failed(AppError::BadRequest(msg!(ENROLL_CODE_MALFORMED))).await;
    };
    let key = req.public_key.trim();
    if gridwalk_protocol::signing::decode_public_key(key).is_none() {
        return Err(AppError::BadRequest(msg!(KEY_BAD)));
    }
    let token = auth::new_token();
    // The act is recorded as the code's maker's (the store fills in who made it).
    let act = AdminAct {
        id: uuid::Uuid::now_v7(),
        at: now,
        actor: String::new(),
        action: "enroll_device".into(),
        subject: req.device.to_string(),
        detail: None,
    };
    let user = match store
        .redeem_enrollment_code(&hash, req.device, &auth::token_hash(&token), key, &act)
        .await?
    {
        Redeemed::Enrolled { user, replaced } => {
            for r in &replaced {
                tracing::warn!(device = %req.device, old = %r.device, reports = r.reports,
                    "enrolled while an older tablet of the inspector's still held reports");
            }
            user
        }
        Redeemed::Refused(refusal) => {
            let message = refusal.message();
            return failed(match refusal {
                Refusal::Unknown => AppError::NotFound(message),
                Refusal::Used(_) | Refusal::DeviceOfAnother => AppError::Refused(message),
                Refusal::Disabled => AppError::Forbidden(message),
                Refusal::Expired(_) => AppError::Gone(message),
            })
            .await;
        }
    };
    let user = store.user(user).await?.ok_or(AppError::Unauthorized)?;
    tracing::info!(device = %req.device, login = %user.login, "device enrolled with a one-time code");
    Ok(Enrolled {
        token,
        profile: gridwalk_protocol::Profile {
            device: req.device,
            user: user.id,
            login: user.login,
            name: user.name,
            team: user.team,
            cells: user.cells,
            badge: user.badge,
            camera_serial: user.camera_serial,
        },
    })
}

/// Makes a one-time enrollment code from the command line (`admin enrollment-code`).
pub async fn enrollment_code_cli(
    store: &dyn CaseStore,
    login: &str,
    server: &str,
    minutes: Option<u32>,
) -> anyhow::Result<EnrollmentCode> {
    let req = CodeRequest {
        login: login.into(),
        server: server.into(),
        minutes,
    };
    Ok(enrollment_code(store, Actor::Cli, &req, chrono::Utc::now()).await?)
}

/// The person with `login`, if they may hold a credential for `act` (a tablet, a port's
/// token) and are not disabled; the refusal says why, with `whose` (who such credentials
/// are for).
async fn credential_holder(
    store: &dyn CaseStore,
    login: &str,
    act: Act,
    whose: &str,
) -> anyhow::Result<User> {
    let (user, disabled) = store
        .users()
        .await?
        .into_iter()
        .find(|(u, _)| u.login == login)
        .ok_or_else(|| anyhow::anyhow!("no user with login {login:?}"))?;
    if let Err(why) = decide(&Who::from(&user), act, Subject::Any) {
        anyhow::bail!("{login}: {why}; {whose}");
    }
    if let Some(at) = disabled {
        anyhow::bail!("{login} was disabled at {at}; a disabled person gets no credential");
    }
    Ok(user)
}

/// Gives the service account `login` (another port's system) a token for the intake API
/// and returns it (shown once); the account's earlier tokens stop working.
pub async fn port_token(store: &dyn CaseStore, login: &str) -> anyhow::Result<String> {
    let user = credential_holder(
        store,
        login,
        Act::FileReports,
        "intake tokens are for service accounts",
    )
    .await?;
    let now = chrono::Utc::now();
    for d in store.devices().await?.iter().filter(|d| d.login == login) {
        if d.revoked_at.is_none() {
            store.revoke_device(d.id, now).await?;
        }
    }
    let token = auth::new_token();
    let device = DeviceId::new();
    store
        .enroll_device(device, user.id, &auth::token_hash(&token), now)
        .await?;
    record(
        store,
        Actor::Cli,
        "port_token",
        &device.to_string(),
        Some(format!("for {login}")),
    )
    .await?;
    Ok(token)
}

/// Stops a device's token working at once (a lost or retired tablet), from the command
/// line ([`revoke_device_as`]).
pub async fn revoke_device(store: &dyn CaseStore, device: DeviceId) -> anyhow::Result<()> {
    Ok(revoke_device_as(store, Actor::Cli, device).await?)
}

/// Stops a device's token working at once. What it sent stays; enrolling it again gives it
/// a new token.
pub async fn revoke_device_as(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    device: DeviceId,
) -> Result<(), AppError> {
    actor.may()?;
    if !store.revoke_device(device, chrono::Utc::now()).await? {
        return Err(AppError::NotFound(msg!(NO_DEVICE, device = device)));
    }
    record(store, actor, "revoke_device", &device.to_string(), None).await
}

/// Stops a person's devices and console sessions working at once (someone who left), from
/// the command line ([`disable_user_as`]).
pub async fn disable_user(store: &dyn CaseStore, login: &str) -> anyhow::Result<()> {
    Ok(disable_user_as(store, Actor::Cli, login).await?)
}

/// Stops a person's devices and console sessions working at once. What they did stays. A
/// person cannot disable themselves (so the last administrator cannot lock everyone out).
pub async fn disable_user_as(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    login: &str,
) -> Result<(), AppError> {
    actor.may()?;
    if actor.name() == login {
        return Err(AppError::Refused(msg!(CANNOT_DISABLE_SELF)));
    }
    let user = person(store, login).await?;
    store.disable_user(user.id, chrono::Utc::now()).await?;
    record(store, actor, "disable_user", login, None).await
}

/// Lets a disabled person work again, from the command line ([`enable_user_as`]).
pub async fn enable_user(store: &dyn CaseStore, login: &str) -> anyhow::Result<()> {
    Ok(enable_user_as(store, Actor::Cli, login).await?)
}

/// Lets a disabled person work again: they sign in anew (their old sessions stay ended),
/// and their tablets, unless revoked, work again.
pub async fn enable_user_as(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    login: &str,
) -> Result<(), AppError> {
    actor.may()?;
    let user = person(store, login).await?;
    store.enable_user(user.id).await?;
    record(store, actor, "enable_user", login, None).await
}

/// Every person, with whether they are disabled.
pub async fn accounts(store: &dyn CaseStore, actor: Actor<'_>) -> Result<Vec<Account>, AppError> {
    actor.may()?;
    Ok(store
        .users()
        .await?
        .into_iter()
        .map(|(u, disabled_at)| Account {
            person: u.person(),
            disabled_at,
        })
        .collect())
}

/// Every enrolled device, with its person's login.
pub async fn devices(
    store: &dyn CaseStore,
    actor: Actor<'_>,
) -> Result<Vec<DeviceEntry>, AppError> {
    actor.may()?;
    Ok(store.devices().await?)
}

/// The latest administrative acts, newest first.
pub async fn audit(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    limit: u32,
) -> Result<Vec<AdminAct>, AppError> {
    actor.may()?;
    Ok(store.admin_acts(limit).await?)
}

/// Creates a user, or updates the one with the same login (keeping its ID); returns the ID.
pub async fn create_user(store: &dyn CaseStore, mut user: User) -> anyhow::Result<UserId> {
    match (user.role, user.source) {
        (Role::Service, None) => anyhow::bail!(
            "{}: a service account files for one port: give its --source",
            user.login
        ),
        (Role::Service, Some(Source::Inspector)) => anyhow::bail!(
            "{}: a service account files for another port than the inspectors' tablets",
            user.login
        ),
        (Role::Service, Some(_)) | (_, None) => {}
        (_, Some(_)) => anyhow::bail!(
            "{}: only a service account (role service) has a source",
            user.login
        ),
    }
    if let Some(existing) = store.user_by_login(&user.login).await? {
        user.id = existing.id;
    }
    store.put_user(&user).await?;
    record(
        store,
        Actor::Cli,
        "create_user",
        &user.login,
        Some(format!("role {:?}", user.role).to_lowercase()),
    )
    .await?;
    Ok(user.id)
}

/// The shortest console password accepted.
pub const MIN_PASSWORD: usize = 8;

/// The longest console password accepted (Argon2 hashes it all).
pub const MAX_PASSWORD: usize = 256;

/// Sets the console password of the person with `login`, from the command line
/// ([`set_password_as`]).
pub async fn set_password(
    store: &dyn CaseStore,
    login: &str,
    password: &str,
) -> anyhow::Result<()> {
    Ok(set_password_as(store, Actor::Cli, login, password).await?)
}

/// Sets the console password of the person with `login` (someone the rule lets use the
/// console); their sessions end.
pub async fn set_password_as(
    store: &dyn CaseStore,
    actor: Actor<'_>,
    login: &str,
    password: &str,
) -> Result<(), AppError> {
    actor.may()?;
    let user = person(store, login).await?;
    if let Err(why) = decide(&Who::from(&user), Act::UseConsole, Subject::Any) {
        return Err(AppError::BadRequest(msg!(
            LOGIN_INVALID,
            login = login,
            why = why
        )));
    }
    let chars = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&chars) {
        return Err(AppError::BadRequest(msg!(
            PASSWORD_LENGTH,
            min = MIN_PASSWORD,
            max = MAX_PASSWORD
        )));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))?
        .map_err(AppError::Internal)?;
    store.set_password(user.id, Some(&hash)).await?;
    record(store, actor, "set_password", login, None).await
}

/// One broken chain: where, and its first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The table the bad entry is in (`report_versions`, `case_events`, `reports`,
    /// `admin_acts`, `photo_blobs`).
    pub table: &'static str,
    /// Whose chain ("report 0193… (case 20261130-0001)", "the administrative acts").
    pub chain: String,
    /// The entry ("version 2", "case event 17", "photo ab12…").
    pub entry: String,
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} · {} · {}: {}",
            self.table, self.chain, self.entry, self.what
        )
    }
}

/// What `verify` walked, and what it found broken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    pub reports: usize,
    pub versions: usize,
    pub events: usize,
    pub acts: usize,
    pub blobs: usize,
    /// The first bad entry of each broken chain, and each photo whose bytes do not match.
    pub findings: Vec<Finding>,
}

/// Reports are walked this many at a time.
const VERIFY_PAGE: usize = 200;

fn report_label(id: ReportId, case_no: Option<&str>) -> String {
    match case_no {
        Some(c) => format!("report {id} (case {c})"),
        None => format!("report {id}"),
    }
}

/// Re-walks every report's versions and events chains and checks its row and seal,
/// re-walks the administrative acts chain, and re-hashes every photo the centre holds
/// through the blob store (local or S3 alike).
pub async fn verify(store: &dyn CaseStore, blobs: &BlobStore) -> anyhow::Result<Verified> {
    // A store with nothing loaded is not a centre's: most likely the wrong `--data-dir`
    // (or `--db`), which opening has just created empty. "Intact" would mislead.
    if store.reference_texts().await?.0.is_empty() {
        anyhow::bail!(
            "this store holds no centre's data (no code table was ever loaded), so nothing was \
             verified: is --data-dir (or --db) the centre's?"
        );
    }
    let mut out = Verified::default();
    let mut after = None;
    loop {
        let page = store.report_chains(after, VERIFY_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for r in &page {
            out.reports += 1;
            match chain::check(r) {
                Ok(c) => {
                    out.versions += c.versions;
                    out.events += c.events;
                }
                Err(b) => out.findings.push(Finding {
                    table: chain::table_of(&b),
                    chain: report_label(r.id, r.case_no.as_deref()),
                    entry: b.label,
                    what: b.what,
                }),
            }
        }
    }
    let (acts, head_seq, head_hash) = store.admin_chain().await?;
    out.acts = acts.len();
    if let Err(b) = chain::check_acts(&acts, head_seq, &head_hash) {
        out.findings.push(Finding {
            table: "admin_acts",
            chain: "the administrative acts".into(),
            entry: b.label,
            what: b.what,
        });
    }
    for (sha, bytes) in store.held_blobs().await? {
        out.blobs += 1;
        let what = match blobs.photo_digest(&sha).await? {
            None => Some("its file is missing from the blob store".to_owned()),
            Some((actual, _)) if actual != sha => Some(format!(
                "the stored bytes hash to {actual} (the file was overwritten)"
            )),
            Some((_, n)) if n != bytes => {
                Some(format!("the stored file has {n} bytes, not {bytes}"))
            }
            Some(_) => None,
        };
        if let Some(what) = what {
            out.findings.push(Finding {
                table: "photo_blobs",
                chain: "the photos".into(),
                entry: format!("photo {sha}"),
                what,
            });
        }
    }
    Ok(out)
}

/// Writes the evidence package of one case (by report ID or case number) into the
/// directory `out` ([`gridwalk_evidence::package`]), refusing a case whose chains are
/// broken; records the export, with the package's fingerprint, in the administrative
/// chain. Returns the report and the fingerprint (the SHA-256 of `manifest.json`).
pub async fn export_case(
    store: &dyn CaseStore,
    blobs: &BlobStore,
    case: &str,
    out: &Path,
) -> anyhow::Result<(ReportId, String)> {
    let id = match case.parse::<ReportId>() {
        Ok(id) => id,
        Err(_) => store
            .report_by_case(case)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no report or case {case:?}"))?,
    };
    let r = store
        .report_chain(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no report {id}"))?;
    if let Err(b) = chain::check(&r) {
        anyhow::bail!(
            "the records of {} are broken at {b}; run `gridwalk-sync admin verify`",
            report_label(id, r.case_no.as_deref())
        );
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", out.display());
    }
    let tasks = serde_json::to_value(store.report_tasks(id).await?)?;
    let mut report = package::ReportFile {
        report: id.to_string(),
        case_no: r.case_no.clone(),
        row: r.row.to_json(),
        seal: r.seal.clone(),
        photos_absent: Vec::new(),
    };
    for sha in package::photos_named(&r.versions, &tasks) {
        match blobs.photo_digest(&sha).await? {
            None => report.photos_absent.push(sha),
            Some((actual, _)) if actual != sha => anyhow::bail!(
                "photo {sha} in the blob store hashes to {actual}; run `gridwalk-sync admin verify`"
            ),
            Some(_) => {
                let bytes = blobs.photo(&sha).await?;
                std::fs::create_dir_all(out.join("photos"))?;
                std::fs::write(package::photo_path(out, &sha), &bytes)?;
            }
        }
    }
    let signatures = store.report_signatures(id).await?;
    if let Err(b) = gridwalk_evidence::signatures::check(&r.versions, &r.events, &signatures) {
        anyhow::bail!(
            "the device signatures of {} do not hold at {b}",
            report_label(id, r.case_no.as_deref())
        );
    }
    package::write_records(
        out,
        &package::Records {
            report: &report,
            versions: &r.versions,
            events: &r.events,
            tasks: &tasks,
            signatures: &signatures,
        },
    )?;
    let now = chrono::Utc::now();
    let fingerprint = package::finish(out, &report, &gridwalk_evidence::chain::time(&now), CLI)?;
    record(
        store,
        Actor::Cli,
        "export_case",
        &report_label(id, r.case_no.as_deref()),
        Some(format!("evidence package, manifest SHA-256 {fingerprint}")),
    )
    .await?;
    Ok((id, fingerprint))
}
