//! What the admin subcommands do, as library functions so tests and scripts share them:
//! load reference data and users from the fixture files, create people and set passwords,
//! enroll, list and revoke devices, disable people. Every act that changes something is
//! recorded in the administrative audit trail ([`AdminAct`]) with who did it (`cli` for the
//! server's command line).

use std::path::Path;

use gridwalk_protocol::{CellCode, CodeTable, DeviceId, UserId};

use crate::auth;
use crate::domain::model::{AdminAct, Role, User};
use crate::domain::rules::{self, CaseRules};
use crate::store::CaseStore;

/// Who acts through the server's command line.
pub const CLI: &str = "cli";

/// Records an administrative act by the command line.
async fn record(
    store: &dyn CaseStore,
    action: &str,
    subject: &str,
    detail: Option<String>,
) -> anyhow::Result<()> {
    store
        .record_admin_act(&AdminAct {
            id: uuid::Uuid::now_v7(),
            at: chrono::Utc::now(),
            actor: CLI.into(),
            action: action.into(),
            subject: subject.into(),
            detail,
        })
        .await?;
    Ok(())
}

/// How much `load_fixtures` loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub code_tables: usize,
    pub cells: usize,
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
    let cell_count = store.put_cells(&cells, chrono::Utc::now()).await?;

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
        "load_reference",
        &dir.display().to_string(),
        Some(format!(
            "code table {}, {cell_count} cells, {} people",
            table.version(),
            users.len()
        )),
    )
    .await?;
    Ok(Loaded {
        code_tables: 1,
        cells: cell_count,
        users: users.len(),
        departments: rules.departments.len(),
    })
}

/// Enrolls `device` for the inspector with `login` and returns the new token (shown once).
/// Tablets are for inspectors: a leader or an operator, or a disabled person, gets none.
pub async fn enroll_device(
    store: &dyn CaseStore,
    login: &str,
    device: DeviceId,
) -> anyhow::Result<String> {
    let (user, disabled) = store
        .users()
        .await?
        .into_iter()
        .find(|(u, _)| u.login == login)
        .ok_or_else(|| anyhow::anyhow!("no user with login {login:?}"))?;
    if user.role != Role::Inspector {
        anyhow::bail!(
            "{login} is {}; tablets are enrolled for inspectors",
            format!("{:?}", user.role).to_lowercase()
        );
    }
    if let Some(at) = disabled {
        anyhow::bail!("{login} was disabled at {at}; a disabled person gets no tablet");
    }
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
        "enroll_device",
        &device.to_string(),
        Some(format!("for {login}")),
    )
    .await?;
    Ok(token)
}

/// Stops a device's token working at once (a lost or retired tablet). What it sent stays;
/// enrolling it again gives it a new token.
pub async fn revoke_device(store: &dyn CaseStore, device: DeviceId) -> anyhow::Result<()> {
    if !store.revoke_device(device, chrono::Utc::now()).await? {
        anyhow::bail!("no device {device} is enrolled");
    }
    record(store, "revoke_device", &device.to_string(), None).await
}

/// Stops a person's devices and console sessions working at once (someone who left). What
/// they did stays.
pub async fn disable_user(store: &dyn CaseStore, login: &str) -> anyhow::Result<()> {
    let user = store
        .user_by_login(login)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user with login {login:?}"))?;
    store.disable_user(user.id, chrono::Utc::now()).await?;
    record(store, "disable_user", login, None).await
}

/// Creates a user, or updates the one with the same login (keeping its ID); returns the ID.
pub async fn create_user(store: &dyn CaseStore, mut user: User) -> anyhow::Result<UserId> {
    if let Some(existing) = store.user_by_login(&user.login).await? {
        user.id = existing.id;
    }
    store.put_user(&user).await?;
    record(
        store,
        "create_user",
        &user.login,
        Some(format!("role {:?}", user.role).to_lowercase()),
    )
    .await?;
    Ok(user.id)
}

/// The shortest console password accepted.
pub const MIN_PASSWORD: usize = 8;

/// Sets the console password of the leader or operator with `login`.
pub async fn set_password(
    store: &dyn CaseStore,
    login: &str,
    password: &str,
) -> anyhow::Result<()> {
    let user = store
        .user_by_login(login)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user with login {login:?}"))?;
    if user.role == Role::Inspector {
        anyhow::bail!("{login} is an inspector; the console is for team leaders and operators");
    }
    if password.chars().count() < MIN_PASSWORD {
        anyhow::bail!("the password must be at least {MIN_PASSWORD} characters");
    }
    let hash = auth::hash_password(password).map_err(anyhow::Error::msg)?;
    store.set_password(user.id, Some(&hash)).await?;
    record(store, "set_password", login, None).await
}
