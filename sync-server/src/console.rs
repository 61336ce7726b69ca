//! What the console does, between its HTTP handlers and the store: sign-in, the case
//! loop's steps with their permissions and deadlines, a report's whole story, conflict
//! resolution and the evaluation.
//!
//! Who may do what:
//! - a team leader (网格长) reviews, dispatches and marks handled the reports of their own
//!   team's inspectors;
//! - an operator (监督指挥中心) may act on any report and alone resolves conflicts.

use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::console::{
    ActionRequest, CaseAction, Evaluation, GroupBy, ReportDetail, Resolve, Session, VersionInfo,
};
use gridwalk_protocol::{CodeTable, ReportId, ReportPatch, Version, validate_report};
use uuid::Uuid;

use crate::auth;
use crate::cases::Action;
use crate::edits::DELETED_FIELD;
use crate::error::AppError;
use crate::rules::{self, CaseRules};
use crate::store::{Author, CaseStore, Resolution, Role, Step, Stepped, User};

/// The case rules as loaded; without them the loop cannot set deadlines.
pub async fn rules(store: &dyn CaseStore) -> Result<CaseRules, AppError> {
    let text = store.document(rules::DOCUMENT).await?.ok_or_else(|| {
        AppError::NotFound(
            "the case rules are not loaded: run `gridwalk-sync admin load-fixtures`".into(),
        )
    })?;
    CaseRules::from_json(&text).map_err(|e| AppError::Store(crate::store::StoreError::Db(e)))
}

/// Signs a leader or operator in; the same answer for an unknown login and a wrong
/// password, so the form does not tell which logins exist.
pub async fn sign_in(
    store: &dyn CaseStore,
    login: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let wrong = || AppError::SignedOut("the login or the password is wrong".into());
    let (user, hash) = store.password_hash(login.trim()).await?.ok_or_else(wrong)?;
    let hash = hash.ok_or_else(wrong)?;
    if !auth::password_matches(password, &hash) {
        return Err(wrong());
    }
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
    Ok(Session {
        token,
        user: user.person(),
        expires_at,
    })
}

/// Whether `user` may act on a report by someone of team `team`.
fn may_act(user: &User, team: Option<&str>) -> bool {
    match user.role {
        Role::Operator => true,
        Role::Leader => user.team.is_some() && user.team.as_deref() == team,
        Role::Inspector => false,
    }
}

/// The team whose reports `user` sees: a leader's own; all for an operator.
#[must_use]
pub fn team_scope(user: &User) -> Option<String> {
    match user.role {
        Role::Leader => Some(user.team.clone().unwrap_or_default()),
        Role::Operator | Role::Inspector => None,
    }
}

/// Applies a console action to a report.
pub async fn act(
    store: &dyn CaseStore,
    user: &User,
    id: ReportId,
    req: ActionRequest,
    now: DateTime<Utc>,
) -> Result<Stepped, AppError> {
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
    let rules = rules(store).await?;
    let mut step = Step {
        report: id,
        action: Action::Approve,
        seen: Some(req.seen_state),
        by: Author {
            user: Some(user.id),
            device: None,
            mutation: None,
        },
        at: now,
        due_at: None,
        task_due: None,
        day: rules.case_day(now),
        task: None,
    };
    step.action = match req.action {
        CaseAction::Approve => Action::Approve,
        CaseAction::Return { comment } => Action::Return { comment },
        CaseAction::Reject { reason } => Action::Reject { reason },
        CaseAction::Merge { into } => Action::Merge { into },
        CaseAction::Dispatch { department } => {
            if rules.department(department.trim()).is_none() {
                return Err(AppError::BadRequest(format!(
                    "there is no department {department:?}; choose one of {}",
                    rules
                        .departments
                        .iter()
                        .map(|d| d.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            step.due_at = Some(rules.handling_due(&item.report, now));
            Action::Dispatch { department }
        }
        CaseAction::Handled => {
            step.task_due = Some(rules.verify_due(now));
            Action::Handled
        }
    };
    Ok(store.step(&step).await?)
}

/// Everything about one report.
pub async fn detail(
    store: &dyn CaseStore,
    user: &User,
    id: ReportId,
) -> Result<ReportDetail, AppError> {
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
    let related = store.console_reports_by_id(&related_ids).await?;
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

/// Resolves a conflict with the operator's value for every field in it: the report's next
/// version takes them, and reaches the devices through the feed.
pub async fn resolve(
    store: &dyn CaseStore,
    user: &User,
    id: Uuid,
    req: &Resolve,
    tables: &[CodeTable],
    now: DateTime<Utc>,
) -> Result<Version, AppError> {
    if user.role != Role::Operator {
        return Err(AppError::Forbidden(
            "only an operator resolves conflicts".into(),
        ));
    }
    let conflict = store
        .conflict(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no conflict {id}")))?;
    if conflict.resolved_at.is_some() {
        return Err(AppError::Refused(format!(
            "conflict {id} is already resolved"
        )));
    }
    let wanted: Vec<&str> = conflict.fields.iter().map(|f| f.field.as_str()).collect();
    for f in &req.fields {
        if !wanted.contains(&f.field.as_str()) {
            return Err(AppError::BadRequest(format!(
                "{:?} is not in this conflict (it is about {})",
                f.field,
                wanted.join(", ")
            )));
        }
    }
    if let Some(missing) = wanted
        .iter()
        .find(|w| !req.fields.iter().any(|f| f.field == **w))
    {
        return Err(AppError::BadRequest(format!(
            "choose a value for {missing}"
        )));
    }
    let held = store
        .report(conflict.report)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no report {}", conflict.report)))?;
    // A report removed at the centre stays removed; the device's change is kept in the
    // conflict record.
    let fields: Vec<(&str, &serde_json::Value)> = req
        .fields
        .iter()
        .filter(|f| f.field != DELETED_FIELD)
        .map(|f| (f.field.as_str(), &f.value))
        .collect();
    if let Some(d) = req.fields.iter().find(|f| f.field == DELETED_FIELD)
        && d.value != serde_json::Value::Bool(true)
    {
        return Err(AppError::BadRequest(
            "a report removed at the centre cannot be brought back here; keep it removed".into(),
        ));
    }
    let patch = ReportPatch::from_fields(fields).map_err(AppError::BadRequest)?;
    let merged = patch.apply_to(&held.report);
    let patch = ReportPatch::between(&held.report, &merged);
    if !patch.is_empty() {
        let table = tables
            .iter()
            .find(|t| t.version() == merged.code_table_version)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "the centre does not know code table {:?}",
                    merged.code_table_version
                ))
            })?;
        validate_report(&merged, table, now).map_err(|e| {
            AppError::BadRequest(format!("the resolved report would be invalid: {e}"))
        })?;
    }
    Ok(store
        .resolve_conflict(&Resolution {
            conflict: id,
            record: merged,
            expected_version: held.version,
            patch,
            choices: req.fields.clone(),
            by: user.id,
            at: now,
        })
        .await?)
}

/// The evaluation over `from..to`, grouped `by`, for what `user` may see.
pub async fn evaluation(
    store: &dyn CaseStore,
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
    let mut facts = store.case_facts(from, to).await?;
    if let Some(team) = team_scope(user) {
        facts.retain(|f| f.team.as_deref() == Some(team.as_str()));
    }
    let (rows, total) = crate::evaluation::evaluate(&facts, by, now);
    Ok(Evaluation {
        by,
        from,
        to,
        rows,
        total,
    })
}
