//! The change feed back to devices (`GET /v1/changes`): the store reads a page of what the
//! device's user may see, this loads each thing as it is now, and
//! [`crate::domain::feed`] makes the page.

use bytes::Bytes;
use gridwalk_protocol::console::TaskKind;
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{ChangesPage, ReportId, TaskChange, TaskId};

use crate::AppState;
use crate::domain::feed::{self, Cursor, DEFAULT_LIMIT, Loaded, MAX_LIMIT};
use crate::domain::model::{Device, FeedKind};
use crate::error::AppError;
use crate::store::CaseStore;

/// The next page of `device`'s user's feed after `cursor` (from the start without one).
#[tracing::instrument(skip_all, fields(device = %device.id))]
pub async fn page(
    state: &AppState,
    device: &Device,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<ChangesPage, AppError> {
    let store = state.store.as_ref();
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AppError::BadRequest(msg!(
            FEED_LIMIT,
            max = MAX_LIMIT,
            limit = limit
        )));
    }
    // An empty cursor is no cursor: from the start.
    let cursor = cursor
        .filter(|c| !c.is_empty())
        .map(Cursor::decode)
        .transpose()
        .map_err(|why| AppError::BadRequest(msg!(CURSOR_INVALID, why = why)))?;
    let user = store
        .user(device.user)
        .await?
        .ok_or_else(|| AppError::Forbidden(msg!(USER_GONE, user = device.user)))?;
    let after = cursor.as_ref().map_or(0, |c| c.seq);
    let page = store.feed(user.id, &user.cells, after, limit + 1).await?;
    if let Some(c) = &cursor {
        feed::check_cursor(c, &page)
            .map_err(|why| AppError::Resync(msg!(FEED_RESYNC, why = why)))?;
    }
    let (rows, more, next) = feed::window(&page, limit, after);
    let reports: Vec<ReportId> =
        feed::entities(rows, FeedKind::Report).map_err(AppError::Internal)?;
    let codes: Vec<String> = feed::entities(rows, FeedKind::Cell).map_err(AppError::Internal)?;
    let tasks: Vec<TaskId> = feed::entities(rows, FeedKind::Task).map_err(AppError::Internal)?;
    let components: Vec<String> = rows
        .iter()
        .filter(|r| r.kind == FeedKind::Component && !r.tombstone)
        .map(|r| r.entity.clone())
        .collect();
    let mut loaded = Loaded {
        reports: if reports.is_empty() {
            Vec::new()
        } else {
            store.reports(&reports).await?
        },
        cells: if codes.is_empty() {
            Vec::new()
        } else {
            store.cells(&codes).await?
        },
        tables: if rows.iter().any(|r| r.kind == FeedKind::CodeTable) {
            store.code_tables().await?
        } else {
            Vec::new()
        },
        tasks: Vec::new(),
        components: if components.is_empty() {
            Vec::new()
        } else {
            store.components(&components).await?
        },
    };
    for id in tasks {
        loaded.tasks.extend(task_change(store, id).await?);
    }
    let changes = feed::changes(rows, &loaded).map_err(AppError::Internal)?;
    tracing::debug!(changes = changes.len(), more, "feed page");
    Ok(ChangesPage {
        changes,
        cursor: Cursor {
            epoch: page.epoch.clone(),
            seq: next,
        }
        .encode(),
        more,
    })
}

/// A photo's bytes for a device: a photo of a report its person made, or has a task on (the
/// department's after-photos of a case they go to verify). Any other photo, or one whose
/// bytes have not arrived, is not found: a device learns nothing of photos beyond its
/// person's own work.
pub async fn photo(state: &AppState, device: &Device, sha256: &str) -> Result<Bytes, AppError> {
    use super::console::{checked_photo, not_here, photo_name};
    photo_name(sha256)?;
    let store = state.store.as_ref();
    let ids = store.reports_with_photo(sha256).await?;
    let mut theirs = false;
    for item in store.console_reports_by_id(&ids).await? {
        theirs = item.report.reporter == device.user
            || store
                .report_tasks(item.report.id)
                .await?
                .iter()
                .any(|t| t.assignee == device.user);
        if theirs {
            break;
        }
    }
    if !theirs {
        return Err(not_here(sha256));
    }
    checked_photo(state, sha256).await
}

/// A task with the case it is about, as the device receives it.
async fn task_change(store: &dyn CaseStore, id: TaskId) -> Result<Option<TaskChange>, AppError> {
    let Some(task) = store.task(id).await? else {
        return Ok(None);
    };
    let Some(item) = store.console_reports_by_id(&[task.report]).await?.pop() else {
        return Ok(None);
    };
    // The department's last 处置说明 and its after-photos, which the inspector goes to check.
    let (handling_note, handling_photos) = match task.kind {
        TaskKind::Verify => (
            store
                .case_events(task.report)
                .await?
                .into_iter()
                .rev()
                .find(|e| e.action == "handled")
                .and_then(|e| e.text),
            store.handling_photos(task.report).await?,
        ),
        TaskKind::Check => (None, Vec::new()),
    };
    Ok(Some(TaskChange {
        task,
        report: item.report,
        department: item.case.and_then(|c| c.department),
        source: Some(item.source),
        handling_note,
        handling_photos,
    }))
}
