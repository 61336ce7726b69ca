//! What the console does, between its HTTP handlers and the domain and store: sign-in,
//! the case loop's steps with their permissions, a report's whole story, the device board,
//! intake health, conflicts and their resolution, and the evaluation. Who may do what is
//! [`crate::domain::access`].

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::console::{
    ActionAnswer, ActionRequest, CaseAction, Conflict, ConsoleReport, Department, DeviceRow,
    Evaluation, GroupBy, IntakeHealth, ReportDetail, Resolve, Session, VersionInfo,
};
use gridwalk_protocol::validate::MAX_NOTE_CHARS;
use gridwalk_protocol::{CaseState, ReportId, Version};
use uuid::Uuid;

use crate::AppState;
use crate::auth;
use crate::domain::access::{
    SIGN_IN_WINDOW_MINUTES, may_act, operator_only, sign_in_allowed, team_scope,
};
use crate::domain::cases::{Action, StepRequest, Stepped};
use crate::domain::conflicts;
use crate::domain::evaluation;
use crate::domain::model::{Author, ReportFilter, Role, User};
use crate::error::AppError;

/// Signs a leader or operator in; the same answer for an unknown login and a wrong
/// password, so the form does not tell which logins exist.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let wrong = || AppError::SignedOut("the login or the password is wrong".into());
    let store = state.store.as_ref();
    let login = login.trim();
    let since = now - Duration::minutes(SIGN_IN_WINDOW_MINUTES);
    let (by_login, by_address) = store.sign_in_failures(login, address, since).await?;
    if let Err(why) = sign_in_allowed(by_login, by_address) {
        tracing::warn!(
            login,
            address,
            by_login,
            by_address,
            "console sign-in locked out"
        );
        return Err(AppError::Throttled {
            message: why,
            retry_after: u64::try_from(SIGN_IN_WINDOW_MINUTES * 60).unwrap_or(900),
        });
    }
    let found = store.password_hash(login).await?;
    // An unknown login (or one with no password) is checked against a stand-in hash, so
    // both take the same Argon2 work and the timing does not tell which logins exist.
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    let matches = auth::check_password(password.to_owned(), hash).await?;
    let user = match (found, matches) {
        (Some((user, _)), true) => user,
        _ => {
            store.record_sign_in(login, address, false, now).await?;
            tracing::warn!(
                login,
                address,
                "console sign-in refused: wrong login or password"
            );
            return Err(wrong());
        }
    };
    store.record_sign_in(login, address, true, now).await?;
    if user.role == Role::Inspector {
        return Err(AppError::Forbidden(
            "the console is for team leaders and operators; inspectors use the app".into(),
        ));
    }
    let token = auth::new_token();
    let expires_at = now + Duration::hours(auth::SESSION_HOURS);
    store
        .create_session(&auth::token_hash(&token), user.id, now, expires_at)
        .await?;
    tracing::info!(user = %user.id, "signed in to the console");
    Ok(Session {
        token,
        user: user.person(),
        expires_at,
    })
}

/// Ends a session.
pub async fn sign_out(state: &AppState, session: &str) -> Result<(), AppError> {
    Ok(state.store.end_session(session).await?)
}

/// The departments cases are dispatched to.
pub async fn departments(state: &AppState) -> Result<Vec<Department>, AppError> {
    let reference = state
        .reference
        .with_rules(state.store.as_ref(), std::iter::empty())
        .await?;
    Ok(reference
        .rules
        .as_ref()
        .map(|r| r.departments.clone())
        .unwrap_or_default())
}

/// The code tables the centre holds, as loaded (category names for the pages).
pub async fn code_tables(state: &AppState) -> Result<Vec<serde_json::Value>, AppError> {
    state
        .store
        .code_tables()
        .await?
        .iter()
        .map(|(version, body)| {
            serde_json::from_str(body)
                .map_err(|e| AppError::Internal(format!("code table {version}: {e}")))
        })
        .collect()
}

/// Reports in these states (all if none), newest state change first: a leader's team's,
/// or all for an operator.
pub async fn reports(
    state: &AppState,
    user: &User,
    states: Vec<CaseState>,
    limit: usize,
) -> Result<Vec<ConsoleReport>, AppError> {
    let filter = ReportFilter {
        states,
        team: team_scope(user),
        limit,
    };
    Ok(state.store.console_reports(&filter).await?)
}

/// Applies a console action to a report.
#[tracing::instrument(skip_all, fields(user = %user.id, report = %id))]
pub async fn act(
    state: &AppState,
    user: &User,
    id: ReportId,
    req: ActionRequest,
    now: DateTime<Utc>,
) -> Result<ActionAnswer, AppError> {
    let store = state.store.as_ref();
    let item = store
        .console_reports_by_id(&[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("no report {id}")))?;
    if !may_act(user, item.reporter.team.as_deref()) {
        return Err(AppError::Forbidden(format!(
            "report {id} is not from your team's inspectors"
        )));
    }
    // A merge joins two reports: the one kept must be in reach too.
    if let CaseAction::Merge { into } = &req.action {
        // An ID that names no report gets the same answer as another team's, so a leader
        // cannot tell which exist.
        let target = store.console_reports_by_id(&[*into]).await?.pop();
        let out_of_reach = match &target {
            Some(t) => !may_act(user, t.reporter.team.as_deref()),
            None => team_scope(user).is_some(),
        };
        if out_of_reach {
            return Err(AppError::Forbidden(format!(
                "report {into} is not from your team's inspectors; only an operator merges \
                 across teams"
            )));
        }
    }
    let reference = state
        .reference
        .with_rules(store, std::iter::empty())
        .await?;
    if let CaseAction::Return { comment: text } | CaseAction::Reject { reason: text } = &req.action
    {
        let chars = text.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(AppError::BadRequest(format!(
                "{chars} characters; a comment or reason is at most {MAX_NOTE_CHARS}"
            )));
        }
    }
    let action = match req.action {
        CaseAction::Approve => Action::Approve,
        CaseAction::Return { comment } => Action::Return { comment },
        CaseAction::Reject { reason } => Action::Reject { reason },
        CaseAction::Merge { into } => Action::Merge { into },
        CaseAction::Dispatch { department } => {
            let rules = reference.rules.as_ref();
            if rules
                .and_then(|r| r.department(department.trim()))
                .is_none()
            {
                return Err(AppError::BadRequest(format!(
                    "there is no department {department:?}; choose one of {}",
                    rules
                        .map(|r| r
                            .departments
                            .iter()
                            .map(|d| d.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                )));
            }
            Action::Dispatch { department }
        }
        CaseAction::Handled => Action::Handled,
    };
    let step = StepRequest {
        report: id,
        action,
        seen: Some(req.seen_state),
        by: Author::person(user.id),
        at: now,
        task: None,
    };
    match store.step(&step, reference).await? {
        Stepped::Done { state, case_no } => {
            tracing::info!(to = state.as_str(), "case step");
            Ok(ActionAnswer { state, case_no })
        }
        Stepped::Refused(why) => Err(AppError::Refused(why)),
    }
}

/// Everything about one report.
pub async fn detail(state: &AppState, user: &User, id: ReportId) -> Result<ReportDetail, AppError> {
    let store = state.store.as_ref();
    let item = store
        .console_reports_by_id(&[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("no report {id}")))?;
    if user.role == Role::Leader && !may_act(user, item.reporter.team.as_deref()) {
        return Err(AppError::Forbidden(format!(
            "report {id} is not from your team's inspectors"
        )));
    }
    let related_ids = store.related_reports(id).await?;
    let mut related = store.console_reports_by_id(&related_ids).await?;
    // Another team's likely duplicates are named to a leader by count, not shown.
    related.retain(|r| may_act(user, r.reporter.team.as_deref()));
    let mut versions = Vec::new();
    for v in store.report_versions(id).await? {
        let by_name = match v.by.user {
            Some(u) => store.user(u).await?.map(|u| u.name),
            None => None,
        };
        versions.push(VersionInfo {
            version: v.version,
            record: v.record,
            patch: v.patch,
            by_user: v.by.user,
            by_name,
            by_device: v.by.device,
            mutation: v.by.mutation,
            at: v.at,
        });
    }
    let cell = match &item.report.cell {
        Some(code) => store
            .cells(&[code.as_str().to_owned()])
            .await?
            .pop()
            .and_then(|(_, feature)| serde_json::from_str(&feature).ok()),
        None => None,
    };
    Ok(ReportDetail {
        cell,
        events: store.case_events(id).await?,
        tasks: store.report_tasks(id).await?,
        conflicts: store.conflicts(id).await?,
        versions,
        related,
        item,
    })
}

/// A photo's bytes, by its SHA-256: for a leader, only a photo of one of their team's
/// reports (or its verifications).
pub async fn photo(state: &AppState, user: &User, sha256: &str) -> Result<Bytes, AppError> {
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(AppError::BadRequest(
            "a photo is named by its lower-case hex SHA-256".into(),
        ));
    }
    let not_here = || AppError::NotFound(format!("photo {sha256} has not arrived"));
    if team_scope(user).is_some() {
        let ids = state.store.reports_with_photo(sha256).await?;
        let reports = state.store.console_reports_by_id(&ids).await?;
        if !reports
            .iter()
            .any(|r| may_act(user, r.reporter.team.as_deref()))
        {
            // The same answer as for a photo that is not there: a leader learns nothing
            // about other teams' photos.
            return Err(not_here());
        }
    }
    state.blobs.photo(sha256).await.map_err(|_| not_here())
}

/// Every device `user` may see (a leader's team's), its owner, last sync and backlog.
pub async fn devices(state: &AppState, user: &User) -> Result<Vec<DeviceRow>, AppError> {
    let mut rows = state.store.device_board().await?;
    if let Some(team) = team_scope(user) {
        rows.retain(|d| d.user.team.as_deref() == Some(team.as_str()));
    }
    Ok(rows)
}

/// How intake is going, over what `user` may see (a leader's team; all for an operator).
pub async fn health(state: &AppState, user: &User) -> Result<IntakeHealth, AppError> {
    let team = team_scope(user);
    Ok(state.store.intake_health(team.as_deref()).await?)
}

/// Conflicts waiting for an operator: all for an operator, a leader's team's for a leader.
pub async fn conflicts(state: &AppState, user: &User) -> Result<Vec<Conflict>, AppError> {
    let mut open = state.store.open_conflicts().await?;
    if team_scope(user).is_some() {
        let ids: Vec<ReportId> = open.iter().map(|c| c.report).collect();
        let mine: std::collections::HashSet<ReportId> = state
            .store
            .console_reports_by_id(&ids)
            .await?
            .into_iter()
            .filter(|r| may_act(user, r.reporter.team.as_deref()))
            .map(|r| r.report.id)
            .collect();
        open.retain(|c| mine.contains(&c.report));
    }
    Ok(open)
}

/// Resolves a conflict with the operator's value for every field in it
/// ([`crate::domain::conflicts`]).
#[tracing::instrument(skip_all, fields(user = %user.id, conflict = %id))]
pub async fn resolve(
    state: &AppState,
    user: &User,
    id: Uuid,
    req: &Resolve,
    now: DateTime<Utc>,
) -> Result<Version, AppError> {
    operator_only(user, "resolves conflicts")?;
    let store = state.store.as_ref();
    let conflict = store
        .conflict(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no conflict {id}")))?;
    let held = store
        .report(conflict.report)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no report {}", conflict.report)))?;
    let versions = req
        .fields
        .iter()
        .filter_map(|f| f.value.get("code_table_version").and_then(|v| v.as_str()));
    let reference = state.reference.knowing(store, versions).await?;
    let cells = if req.fields.iter().any(|f| f.field == "place") {
        store
            .user(held.report.reporter)
            .await?
            .map(|u| u.cells)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let resolution = conflicts::resolve(&conflict, &held, req, &reference, &cells, user.id, now)?;
    let version = store.resolve_conflict(&resolution).await?;
    tracing::info!(version, "conflict resolved");
    Ok(version)
}

/// The evaluation over `from..to`, grouped `by`, for what `user` may see.
pub async fn evaluation(
    state: &AppState,
    user: &User,
    by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Evaluation, AppError> {
    if to <= from {
        return Err(AppError::BadRequest(
            "the period must end after it starts".into(),
        ));
    }
    let mut facts = state.store.case_facts(from, to).await?;
    if let Some(team) = team_scope(user) {
        facts.retain(|f| f.team.as_deref() == Some(team.as_str()));
    }
    let (rows, total) = evaluation::evaluate(&facts, by, now);
    Ok(Evaluation {
        by,
        from,
        to,
        rows,
        total,
    })
}

/// The per-cell evaluation as GeoJSON: each cell's outline with its indicators.
pub async fn evaluation_geojson(
    state: &AppState,
    e: &Evaluation,
) -> Result<serde_json::Value, AppError> {
    let codes: Vec<String> = e.rows.iter().map(|r| r.key.clone()).collect();
    let cells = state.store.cells(&codes).await?;
    evaluation::to_geojson(&e.rows, &cells).map_err(AppError::Internal)
}
