//! A device's push (`POST /v1/push`) and who a device is (`GET /v1/me`).
//!
//! A push is decided mutation by mutation ([`crate::domain::push::decide`]) against the
//! cached reference data (new and moved reports are placed in the centre's grid, judged
//! with the inspector's own cells) and applied in one store transaction, which also
//! records the answers, the device's `last_applied` and what it said of its backlog. So a
//! push costs the token check, a read of the inspector's cells when it places a report,
//! and that one transaction.

use chrono::{DateTime, Utc};
use gridwalk_protocol::{
    MutationBody, MutationResult, Profile, PushRefusal, PushRequest, PushResponse, validate_push,
};

use crate::AppState;
use crate::domain::model::Device;
use crate::domain::push::{self, Applied};
use crate::error::AppError;
use crate::store::Seen;

/// The code table versions a push names (a new report's, or an edit's new filing).
fn table_versions(req: &PushRequest) -> impl Iterator<Item = &str> {
    req.mutations.iter().filter_map(|m| match &m.body {
        MutationBody::SubmitReport { report } => Some(report.code_table_version.as_str()),
        MutationBody::EditReport { patch, .. } => {
            patch.filing.as_ref().map(|f| f.code_table_version.as_str())
        }
        MutationBody::CompleteTask { .. } => None,
    })
}

/// Applies a device's batch in order, in one transaction, answering each mutation.
/// A batch that starts beyond the next expected number is refused whole.
#[tracing::instrument(skip_all, fields(device = %device.id, mutations = req.mutations.len()))]
pub async fn push(
    state: &AppState,
    device: &Device,
    req: &PushRequest,
    now: DateTime<Utc>,
) -> Result<PushResponse, AppError> {
    if req.device != device.id {
        return Err(AppError::Forbidden(format!(
            "this token belongs to device {}, not {}",
            device.id, req.device
        )));
    }
    state.pushes.check(device.id, req.mutations.len())?;
    validate_push(req).map_err(|e| match e {
        PushRefusal::TooMany(_) => AppError::TooLarge(e.to_string()),
        PushRefusal::Invalid(e) => AppError::BadRequest(e.to_string()),
    })?;
    push::check_batch(req.mutations.iter().map(|m| m.id)).map_err(AppError::BadRequest)?;
    let store = state.store.as_ref();
    let verifies = req
        .mutations
        .iter()
        .any(|m| matches!(m.body, MutationBody::CompleteTask { .. }));
    let reference = if verifies {
        state
            .reference
            .with_rules(store, table_versions(req))
            .await?
    } else {
        state.reference.knowing(store, table_versions(req)).await?
    };
    let places = req.mutations.iter().any(|m| match &m.body {
        MutationBody::SubmitReport { .. } => true,
        MutationBody::EditReport { patch, .. } => patch.place.is_some(),
        MutationBody::CompleteTask { .. } => false,
    });
    let cells = if places {
        store
            .user(device.user)
            .await?
            .map(|u| u.cells)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let batch = req
        .mutations
        .iter()
        .map(|m| {
            let effect = push::decide(
                &m.body,
                device,
                &cells,
                &reference,
                state.uploads.max_size,
                now,
            );
            (m.id, effect)
        })
        .collect();
    let seen = Seen {
        app_version: req.app_version.clone(),
        queue: req.queue,
        at: now,
    };
    let applied = store.apply(device.id, batch, seen, reference).await?;
    let mut results = Vec::with_capacity(req.mutations.len());
    for (m, answer) in req.mutations.iter().zip(applied.answers) {
        match answer {
            Applied::Answer(outcome) => results.push(MutationResult { id: m.id, outcome }),
            // Only the first mutation of a consecutive batch can open a gap.
            Applied::Gap { expected } => return Err(AppError::Gap { expected }),
        }
    }
    tracing::info!(
        applied = results.len(),
        last_applied = applied.last_applied,
        "push applied"
    );
    Ok(PushResponse {
        last_applied: applied.last_applied,
        results,
    })
}

/// The device's user as the centre knows them.
pub async fn profile(state: &AppState, device: &Device) -> Result<Profile, AppError> {
    let user = state
        .store
        .user(device.user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Profile {
        device: device.id,
        user: user.id,
        login: user.login,
        name: user.name,
        team: user.team,
        cells: user.cells,
        badge: user.badge,
        camera_serial: user.camera_serial,
    })
}

/// How many reports the centre holds (for `/healthz`).
pub async fn held(state: &AppState) -> Result<u64, AppError> {
    Ok(state.store.report_count().await?)
}
