//! What the console does, between its HTTP handlers and the domain and store: sign-in,
//! the case loop's steps with their permissions, a report's whole story, the device board,
//! intake health, conflicts and their resolution (the evaluation is
//! [`super::evaluation`]). Who may do what is [`crate::domain::access`].

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use gridwalk_evidence::package;
use gridwalk_protocol::console::{
    ActionAnswer, ActionRequest, CaseAction, ConsoleReport, Department, DeviceRow, IntakeHealth,
    MAX_MERGE, MergeAnswer, MergeRequest, OpenConflict, ReportDetail, ReportPage, Resolve, Seal,
    Session, Team, VersionInfo,
};
use gridwalk_protocol::message::{code, msg};
use gridwalk_protocol::validate::MAX_NOTE_CHARS;
use gridwalk_protocol::{CellCode, ReportId, Version};
use uuid::Uuid;

use crate::AppState;
use crate::auth;
use crate::domain::access::{
    Act, Reach, SIGN_IN_WINDOW_MINUTES, Subject, Who, allows, decide, reach, sign_in_allowed,
};
use crate::domain::cases::{Action, Approval, StepRequest, Stepped};
use crate::domain::chain;
use crate::domain::conflicts;
use crate::domain::model::{Author, User};
use crate::domain::place;
use crate::domain::queue;
use crate::domain::reference::Reference;
use crate::domain::rules::CaseRules;
use crate::domain::teams;
use crate::error::AppError;
use crate::store::StoreError;

/// Signs someone in to the console; the same answer for an unknown login and a wrong
/// password, so the form does not tell which logins exist.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let wrong = || AppError::SignedOut(msg!(SIGN_IN_WRONG));
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
    decide(&Who::from(&user), Act::UseConsole, Subject::Any)?;
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
    let reference = with_rules(state).await?;
    Ok(reference
        .rules
        .as_ref()
        .map(|r| r.departments.clone())
        .unwrap_or_default())
}

/// Every team with its people who are not disabled, named after its leaders.
pub async fn all_teams(state: &AppState) -> Result<Vec<Team>, AppError> {
    let people = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|(_, disabled)| disabled.is_none())
        .map(|(u, _)| u.person());
    Ok(teams::teams(people))
}

/// The teams `user` may name and filter by: a leader their own, an operator and an
/// administrator every team, a department's clerk none (their queue is the department's).
pub async fn teams(state: &AppState, user: &User) -> Result<Vec<Team>, AppError> {
    let who = Who::from(user);
    decide(&who, Act::UseConsole, Subject::Any)?;
    let all = all_teams(state).await?;
    let reaches = [Act::SeeReports, Act::Administer].map(|act| reach(&who, act));
    Ok(if reaches.contains(&Reach::All) {
        all
    } else {
        let mine: Vec<&str> = reaches.iter().filter_map(Reach::team).collect();
        all.into_iter()
            .filter(|t| mine.contains(&t.code.as_str()))
            .collect()
    })
}

/// A component by its ID, as held (see [`crate::store::ReferenceStore::components`]).
pub async fn component(
    state: &AppState,
    id: &str,
) -> Result<gridwalk_protocol::ComponentInfo, AppError> {
    let id: gridwalk_protocol::ComponentId = id
        .parse()
        .map_err(|e: gridwalk_protocol::Error| AppError::BadRequest(msg!(COMPONENT_ID, why = e)))?;
    state
        .store
        .components(&[id.as_str().to_owned()])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(msg!(COMPONENT_UNKNOWN, id = id)))
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

/// One page of a work queue within `user`'s reach (a leader's team's reports, a
/// department's cases, all for an operator), as `ask` filters, orders and pages it
/// ([`crate::domain::queue`]); deadlines are judged at `now`.
pub async fn reports(
    state: &AppState,
    user: &User,
    ask: &queue::Ask,
    now: DateTime<Utc>,
) -> Result<ReportPage, AppError> {
    let who = Who::from(user);
    decide(&who, Act::SeeReports, Subject::Any)?;
    let reach = reach(&who, Act::SeeReports);
    let scope = queue::Scope::of(&reach);
    match queue::filter(ask, scope, now)? {
        Some(mut filter) => {
            let reference = with_rules(state).await?;
            let rules = reference.rules.as_ref();
            filter.soon_to = rules.map(|r| r.due_soon_to(now));
            let mut page = state.store.console_reports(&filter).await?;
            count_down(rules, &mut page.items, now);
            Ok(page)
        }
        None => Ok(ReportPage {
            items: Vec::new(),
            next: None,
            total: 0,
            total_capped: false,
        }),
    }
}

/// The reference data with the case rules (their working calendar judges deadlines).
pub(crate) async fn with_rules(state: &AppState) -> Result<Arc<Reference>, AppError> {
    state
        .reference
        .with_rules(state.store.as_ref(), std::iter::empty())
        .await
}

/// Fills in each report's [`ConsoleReport::step_left_minutes`] at `now`, in the working
/// time of the case rules (none without rules or without a step deadline).
fn count_down(rules: Option<&CaseRules>, items: &mut [ConsoleReport], now: DateTime<Utc>) {
    let Some(rules) = rules else { return };
    for r in items {
        r.step_left_minutes = r.step_due_at.map(|due| rules.left(due, now).num_minutes());
    }
}

/// How often a watcher looks whether something changed, and how long one watch lasts
/// (then the browser reconnects by itself). A watch holds no database connection between
/// looks; it is bounded so that a server shutting down waits for no watcher longer.
pub const WATCH_EVERY: Duration = Duration::seconds(1);
pub const WATCH_FOR: Duration = Duration::seconds(25);

/// The change marks a console watches ([`crate::store::ConsoleStore::change_mark`]): the
/// current one at once, then each new one as the centre's data changes, for
/// [`WATCH_FOR`]. Anyone who may see reports may watch: the mark says only that something
/// changed, never what, and the lists it makes them read again keep to their reach.
pub async fn watch(
    state: &AppState,
    user: &User,
) -> Result<impl futures_util::Stream<Item = u64> + Send + 'static, AppError> {
    decide(&Who::from(user), Act::SeeReports, Subject::Any)?;
    let store = Arc::clone(&state.store);
    let first = store.change_mark().await?;
    let every = WATCH_EVERY.to_std().unwrap_or_default();
    let until = tokio::time::Instant::now() + WATCH_FOR.to_std().unwrap_or_default();
    Ok(futures_util::stream::unfold(
        (store, None::<u64>, first),
        move |(store, shown, mut mark)| async move {
            while shown == Some(mark) {
                if tokio::time::Instant::now() + every > until {
                    return None;
                }
                tokio::time::sleep(every).await;
                match store.change_mark().await {
                    Ok(m) => mark = m,
                    Err(e) => {
                        tracing::warn!(error = %e, "watching for changes failed");
                        return None;
                    }
                }
            }
            Some((mark, (store, Some(mark), mark)))
        },
    ))
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
    let who = Who::from(user);
    let kind = Act::of(&req.action);
    decide(&who, kind, Subject::Any)?;
    let item = store
        .console_reports_by_id(&[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = id)))?;
    decide(&who, kind, case_of(&item))?;
    // A merge joins two reports: the one kept must be in reach too.
    if let CaseAction::Merge { into } = &req.action {
        // An ID that names no report gets the same answer as another team's, so a leader
        // cannot tell which exist.
        let target = store.console_reports_by_id(&[*into]).await?.pop();
        let subject = target.as_ref().map_or(
            Subject::Case {
                team: None,
                department: None,
            },
            case_of,
        );
        decide(&who, kind, subject)
            .map_err(|_| AppError::Forbidden(msg!(MERGE_ACROSS_TEAMS, into = into)))?;
    }
    let reference = with_rules(state).await?;
    if let Some(text) = action_words(&req.action) {
        let chars = text.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(AppError::BadRequest(msg!(
                NOTE_TOO_LONG,
                chars = chars,
                max = MAX_NOTE_CHARS
            )));
        }
    }
    let action = match req.action {
        CaseAction::Approve {
            correct,
            despite_duplicate,
        } => Action::Approve(Approval {
            correct,
            despite_duplicate,
        }),
        CaseAction::Return { comment } => Action::Return { comment },
        CaseAction::Reject { reason } => Action::Reject { reason },
        CaseAction::Merge { into } => Action::Merge { into },
        CaseAction::Dispatch { department } => {
            let rules = reference.rules.as_ref();
            if rules
                .and_then(|r| r.department(department.trim()))
                .is_none()
            {
                return Err(AppError::BadRequest(msg!(
                    NO_DEPARTMENT,
                    department = format!("{department:?}"),
                    known = rules
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
        CaseAction::Handled { note, photos } => {
            if note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(AppError::BadRequest(msg!(HANDLING_NOTE_NEEDED)));
            }
            gridwalk_protocol::validate_after_photos("photos", &photos)
                .map_err(|e| AppError::BadRequest(e.as_message(code::REPORT_INVALID)))?;
            // Only whoever can upload them declares them (a department's clerk, from the
            // phone): a declared photo that can never arrive would wait forever.
            if !photos.is_empty() && decide(&who, Act::Upload, Subject::Any).is_err() {
                return Err(AppError::BadRequest(msg!(AFTER_PHOTOS_CLERK)));
            }
            if let Some(p) = photos.iter().find(|p| p.bytes > state.uploads.max_size) {
                return Err(AppError::BadRequest(msg!(
                    PHOTO_TOO_LARGE,
                    photo = p.id,
                    bytes = p.bytes,
                    max = state.uploads.max_size
                )));
            }
            Action::Handled { note, photos }
        }
        CaseAction::Accept => Action::Accept,
        CaseAction::Bounce { reason } => Action::Bounce { reason },
        CaseAction::RequestExtension { hours, reason } => {
            Action::RequestExtension { hours, reason }
        }
        CaseAction::DecideExtension { approve, comment } => {
            Action::DecideExtension { approve, comment }
        }
        CaseAction::Suspend { reason, until } => Action::Suspend { reason, until },
        CaseAction::Resume => Action::Resume,
        CaseAction::Void { reason } => Action::Void { reason },
        CaseAction::CloseSpecial { reason } => Action::CloseSpecial { reason },
        CaseAction::Verify { passed, note } => Action::Verify { passed, note },
    };
    let step = StepRequest {
        report: id,
        action,
        seen: Some(req.seen_state),
        by: Author::person(user.id),
        at: now,
        task: None,
        // Whoever acted was judged against this department: it must still hold the case.
        department_seen: item.case.as_ref().and_then(|c| c.department.clone()),
    };
    match store.step(&step, reference).await? {
        Stepped::Done { state, case_no } => {
            tracing::info!(to = state.as_str(), "case step");
            Ok(ActionAnswer { state, case_no })
        }
        Stepped::Refused(why) => Err(AppError::Refused(why)),
    }
}

/// The words a case action carries (a comment, reason or note), to hold to the length
/// limit.
fn action_words(action: &CaseAction) -> Option<&str> {
    match action {
        CaseAction::Return { comment: text }
        | CaseAction::Reject { reason: text }
        | CaseAction::Bounce { reason: text }
        | CaseAction::RequestExtension { reason: text, .. }
        | CaseAction::Suspend { reason: text, .. }
        | CaseAction::Void { reason: text }
        | CaseAction::CloseSpecial { reason: text } => Some(text),
        CaseAction::Handled { note, .. }
        | CaseAction::DecideExtension { comment: note, .. }
        | CaseAction::Verify { note, .. } => note.as_deref(),
        CaseAction::Approve { .. }
        | CaseAction::Merge { .. }
        | CaseAction::Dispatch { .. }
        | CaseAction::Accept
        | CaseAction::Resume => None,
    }
}

/// Folds a cluster of reports of one problem into one (`req.into`), all or none: each as
/// the person saw it, every one and the target in their reach. If any step is refused
/// (someone acted first, one cannot be merged), nothing is merged and the answer says which
/// and why.
#[tracing::instrument(skip_all, fields(user = %user.id, into = %req.into))]
pub async fn merge(
    state: &AppState,
    user: &User,
    req: MergeRequest,
    now: DateTime<Utc>,
) -> Result<MergeAnswer, AppError> {
    let store = state.store.as_ref();
    let who = Who::from(user);
    decide(&who, Act::Review, Subject::Any)?;
    let n = req.reports.len();
    if n == 0 || n > MAX_MERGE {
        return Err(AppError::BadRequest(msg!(
            MERGE_COUNT,
            max = MAX_MERGE,
            n = n
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = req.reports.iter().find(|r| !seen.insert(r.id)) {
        return Err(AppError::BadRequest(msg!(MERGE_TWICE, report = twice.id)));
    }
    let ids: Vec<ReportId> = req.reports.iter().map(|r| r.id).collect();
    let held = store.console_reports_by_id(&ids).await?;
    for id in &ids {
        let item = held
            .iter()
            .find(|r| r.report.id == *id)
            .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = id)))?;
        decide(&who, Act::Review, case_of(item))?;
    }
    // The same answer for a target that does not exist as for another team's.
    let target = store.console_reports_by_id(&[req.into]).await?.pop();
    let subject = target.as_ref().map_or(
        Subject::Case {
            team: None,
            department: None,
        },
        case_of,
    );
    decide(&who, Act::Review, subject)
        .map_err(|_| AppError::Forbidden(msg!(MERGE_ACROSS_TEAMS, into = req.into)))?;
    let reference = with_rules(state).await?;
    let steps: Vec<StepRequest> = req
        .reports
        .iter()
        .map(|r| StepRequest {
            report: r.id,
            action: Action::Merge { into: req.into },
            seen: Some(r.seen_state),
            by: Author::person(user.id),
            at: now,
            task: None,
            department_seen: None,
        })
        .collect();
    match store.steps(&steps, reference).await {
        Ok(_) => {
            tracing::info!(merged = n, "cluster merged");
            Ok(MergeAnswer {
                into: req.into,
                merged: ids,
            })
        }
        Err(StoreError::Refused(why)) => Err(AppError::Refused(msg!(MERGE_REFUSED).because(why))),
        Err(e) => Err(e.into()),
    }
}

/// A report as the access rule's subject: its reporter's team and its department.
fn case_of(r: &ConsoleReport) -> Subject<'_> {
    Subject::Case {
        team: r.reporter.team.as_deref(),
        department: r.case.as_ref().and_then(|c| c.department.as_deref()),
    }
}

/// Everything about one report.
pub async fn detail(
    state: &AppState,
    user: &User,
    id: ReportId,
    now: DateTime<Utc>,
) -> Result<ReportDetail, AppError> {
    let store = state.store.as_ref();
    let who = Who::from(user);
    decide(&who, Act::SeeReports, Subject::Any)?;
    let item = store
        .console_reports_by_id(&[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = id)))?;
    decide(&who, Act::SeeReports, case_of(&item))?;
    let related_ids = store.related_reports(id).await?;
    let mut related = store.console_reports_by_id(&related_ids).await?;
    // Likely duplicates out of reach are not shown.
    related.retain(|r| decide(&who, Act::SeeReports, case_of(r)).is_ok());
    let mut versions = Vec::new();
    for v in store.report_versions(id).await? {
        let by = match v.by.user {
            Some(u) => store.user(u).await?,
            None => None,
        };
        versions.push(VersionInfo {
            version: v.version,
            record: v.record,
            patch: v.patch,
            by_user: v.by.user,
            by_role: by.as_ref().map(|u| u.person().role),
            by_name: by.map(|u| u.name),
            by_device: v.by.device,
            mutation: v.by.mutation,
            at: v.at,
        });
    }
    let outline = |code: Option<&CellCode>| {
        let codes: Vec<String> = code.map(|c| c.as_str().to_owned()).into_iter().collect();
        async move {
            if codes.is_empty() {
                return Ok::<_, AppError>(None);
            }
            Ok(store
                .cells(&codes)
                .await?
                .pop()
                .and_then(|(_, feature)| serde_json::from_str(&feature).ok()))
        }
    };
    let reference = with_rules(state).await?;
    let mut item = item;
    count_down(
        reference.rules.as_ref(),
        std::slice::from_mut(&mut item),
        now,
    );
    count_down(reference.rules.as_ref(), &mut related, now);
    let cell = outline(item.report.cell.as_ref()).await?;
    let nearest_cell = outline(place::nearest_cell(&item.report)).await?;
    let mentioned = place::cells_mentioned(
        std::iter::once(&item)
            .chain(&related)
            .map(|r| (&r.report, r.claim.as_ref())),
    );
    let cell_names = place::cell_names(&reference.grid, &mentioned);
    let seal = seal(state, id).await?;
    Ok(ReportDetail {
        seal,
        cell,
        nearest_cell,
        cell_names,
        events: store.case_events(id).await?,
        tasks: store.report_tasks(id).await?,
        handling_photos: store.handling_photos(id).await?,
        conflicts: store.conflicts(id).await?,
        versions,
        related,
        item,
    })
}

/// Whether a report's records are intact: its chains walked up to its row's seal
/// ([`chain::check`]), and every photo its versions and tasks name that the centre holds
/// re-hashed. Photos are a few MB each, hashed as they are read; a detail page costs that
/// once per photo.
pub async fn seal(state: &AppState, id: ReportId) -> Result<Seal, AppError> {
    let store = state.store.as_ref();
    let r = store
        .report_chain(id)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = id)))?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let checked = match chain::check(&r) {
        Ok(c) => c,
        Err(b) => {
            tracing::warn!(report = %id, broken = %b, "a report's records are broken");
            return Ok(Seal {
                verified: false,
                versions: count(r.versions.len()),
                events: count(r.events.len()),
                photos: 0,
                broken: Some(format!("{}: {b}", chain::table_of(&b))),
                head: None,
            });
        }
    };
    let tasks = serde_json::to_value(store.report_tasks(id).await?)
        .map_err(|e| AppError::Internal(format!("tasks of {id}: {e}")))?;
    let mut photos = 0;
    let mut broken = None;
    for sha in package::photos_named(&r.versions, &tasks) {
        match state.blobs.photo_digest(&sha).await? {
            None => {}
            Some((actual, _)) if actual == sha => photos += 1,
            Some((actual, _)) => {
                tracing::warn!(report = %id, sha256 = %sha, %actual, "a stored photo was changed");
                broken = Some(format!(
                    "photo_blobs: photo {sha}: the stored bytes hash to {actual}"
                ));
                break;
            }
        }
    }
    Ok(Seal {
        verified: broken.is_none(),
        versions: count(checked.versions),
        events: count(checked.events),
        photos,
        head: broken.is_none().then(|| r.seal.clone()).flatten(),
        broken,
    })
}

/// Refuses a photo outside `user`'s reach: only a photo of a report (or its verifications)
/// they may see, named by its lower-case hex SHA-256. A photo out of reach gets the answer
/// of a photo that is not there, so nobody learns anything about the photos out of theirs.
async fn photo_in_reach(state: &AppState, user: &User, sha256: &str) -> Result<(), AppError> {
    let who = Who::from(user);
    decide(&who, Act::SeeReports, Subject::Any)?;
    photo_name(sha256)?;
    if reach(&who, Act::SeeReports) != Reach::All {
        let ids = state.store.reports_with_photo(sha256).await?;
        let reports = state.store.console_reports_by_id(&ids).await?;
        if !reports
            .iter()
            .any(|r| decide(&who, Act::SeeReports, case_of(r)).is_ok())
        {
            return Err(not_here(sha256));
        }
    }
    Ok(())
}

/// Refuses a photo name that is not a SHA-256 in lower-case hex.
pub(crate) fn photo_name(sha256: &str) -> Result<(), AppError> {
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(AppError::BadRequest(msg!(PHOTO_NAME)));
    }
    Ok(())
}

pub(crate) fn not_here(sha256: &str) -> AppError {
    AppError::NotFound(msg!(PHOTO_NOT_ARRIVED, sha256 = sha256))
}

/// A photo's bytes, by its SHA-256, within `user`'s reach ([`photo_in_reach`]). Bytes
/// that no longer hash to their name (a file changed on disk) are refused, not served as
/// that photo: the photo is read whole anyway, and SHA-256 costs about 1 ms of CPU per MB
/// (measured: 40 MB in 38 ms, dev build).
pub async fn photo(state: &AppState, user: &User, sha256: &str) -> Result<Bytes, AppError> {
    photo_in_reach(state, user, sha256).await?;
    checked_photo(state, sha256).await
}

pub(crate) async fn checked_photo(state: &AppState, sha256: &str) -> Result<Bytes, AppError> {
    let bytes = state
        .blobs
        .photo(sha256)
        .await
        .map_err(|_| not_here(sha256))?;
    let actual = gridwalk_evidence::sha256_hex(&bytes);
    if actual != sha256 {
        tracing::error!(sha256, %actual, "a stored photo no longer matches its SHA-256: refused");
        return Err(AppError::Internal(format!(
            "the stored bytes of photo {sha256} hash to {actual}"
        )));
    }
    Ok(bytes)
}

/// The longest side of a list's thumbnail, in pixels, and its JPEG quality.
pub const THUMB_SIDE: u32 = 240;
const THUMB_QUALITY: u8 = 75;

/// A small JPEG of a photo for the lists (at most [`THUMB_SIDE`] a side), within `user`'s
/// reach. Made from the checked photo the first time it is asked for and kept in the blob
/// store beside it (`thumbs/…`), so a list of 50 costs 50 small reads, not 50 photos of a
/// few hundred KB to a few MB each.
pub async fn thumbnail(state: &AppState, user: &User, sha256: &str) -> Result<Bytes, AppError> {
    photo_in_reach(state, user, sha256).await?;
    if let Some(kept) = state.blobs.thumb(sha256).await? {
        return Ok(kept);
    }
    let photo = checked_photo(state, sha256).await?;
    let small = tokio::task::spawn_blocking(move || shrink(&photo))
        .await
        .map_err(|e| AppError::Internal(format!("making a thumbnail: {e}")))?
        .map_err(|e| AppError::Internal(format!("photo {sha256}: {e}")))?;
    let small = Bytes::from(small);
    state.blobs.put_thumb(sha256, small.clone()).await?;
    Ok(small)
}

/// A JPEG shrunk to fit [`THUMB_SIDE`] (never enlarged), as a JPEG.
fn shrink(jpeg: &[u8]) -> Result<Vec<u8>, image::ImageError> {
    let img = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)?;
    let small = img.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, THUMB_QUALITY)
        .encode_image(&small)?;
    Ok(out)
}

/// The team a board of `user`'s is narrowed to (none for an operator), once the rule lets
/// them see the board at all.
fn board_team(user: &User) -> Result<Option<String>, AppError> {
    let who = Who::from(user);
    decide(&who, Act::Oversee, Subject::Any)?;
    Ok(reach(&who, Act::Oversee).team().map(str::to_owned))
}

/// Every device `user` may see (a leader's team's), its owner, last sync and backlog.
pub async fn devices(state: &AppState, user: &User) -> Result<Vec<DeviceRow>, AppError> {
    board_team(user)?;
    let who = Who::from(user);
    let mut rows = state.store.device_board().await?;
    rows.retain(|d| allows(&who, Act::Oversee, d.user.team.as_deref(), None));
    Ok(rows)
}

/// How intake is going, over what `user` may see (a leader's team; all for an operator).
pub async fn health(state: &AppState, user: &User) -> Result<IntakeHealth, AppError> {
    let team = board_team(user)?;
    Ok(state.store.intake_health(team.as_deref()).await?)
}

/// Open conflicts within `user`'s reach: a leader's team's, all for an operator.
pub async fn conflicts(state: &AppState, user: &User) -> Result<Vec<OpenConflict>, AppError> {
    board_team(user)?;
    let who = Who::from(user);
    let open = state.store.open_conflicts().await?;
    let ids: Vec<ReportId> = open.iter().map(|c| c.report).collect();
    let mine: std::collections::HashMap<ReportId, ConsoleReport> = state
        .store
        .console_reports_by_id(&ids)
        .await?
        .into_iter()
        .filter(|r| decide(&who, Act::Oversee, case_of(r)).is_ok())
        .map(|r| (r.report.id, r))
        .collect();
    let models: std::collections::HashMap<_, _> = if open.is_empty() {
        std::collections::HashMap::new()
    } else {
        state
            .store
            .devices()
            .await?
            .into_iter()
            .map(|d| (d.id, d.model))
            .collect()
    };
    Ok(open
        .into_iter()
        .filter_map(|conflict| {
            // A report with two open conflicts is named in both.
            let subject = mine.get(&conflict.report).cloned()?;
            let device_model = models.get(&conflict.device).cloned().flatten();
            Some(OpenConflict {
                conflict,
                subject,
                device_model,
            })
        })
        .collect())
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
    decide(&Who::from(user), Act::ResolveConflict, Subject::Any)?;
    let store = state.store.as_ref();
    let conflict = store
        .conflict(id)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(NO_CONFLICT, id = id)))?;
    let held = store
        .report(conflict.report)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = conflict.report)))?;
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
