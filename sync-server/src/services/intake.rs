//! A device's push (`POST /v1/push`) and who a device is (`GET /v1/me`).
//!
//! A push is decided mutation by mutation ([`crate::domain::push::decide`]) against the
//! cached reference data (new and moved reports are placed in the centre's grid, judged
//! with the inspector's own cells) and applied in one store transaction, which also
//! records the answers, the device's `last_applied` and what it said of its backlog. Before
//! that, every mutation's signature is checked against the device's key
//! ([`crate::domain::signatures`]): one that does not hold refuses the whole push. So a push
//! costs the token check, the signature checks (tens of microseconds each), a read of the
//! inspector's cells when it places a report, and that one transaction.

use chrono::{DateTime, Utc};
use gridwalk_protocol::message::{code, msg};
use gridwalk_protocol::{
    MutationBody, MutationResult, Profile, PushRefusal, PushRequest, PushResponse, validate_push,
};

use crate::AppState;
use crate::domain::model::{Device, SignedMutation};
use crate::domain::push::{self, Applied};
use crate::domain::signatures::{self, KeyRefusal};
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
        return Err(AppError::Forbidden(msg!(
            TOKEN_OTHER_DEVICE,
            token_device = device.id,
            device = req.device
        )));
    }
    state.pushes.check(device.id, req.mutations.len())?;
    validate_push(req).map_err(|e| match e {
        PushRefusal::TooMany(n) => AppError::TooLarge(msg!(
            TOO_MANY_MUTATIONS,
            max = gridwalk_protocol::validate::MAX_MUTATIONS_PER_PUSH,
            n = n
        )),
        PushRefusal::Invalid(e) => AppError::BadRequest(e.as_message(code::PUSH_INVALID)),
    })?;
    push::check_batch(req.mutations.iter().map(|m| m.id))
        .map_err(|why| AppError::BadRequest(msg!(PUSH_NUMBERS, why = why)))?;
    let store = state.store.as_ref();
    let signed = check_signatures(state, device, req, now).await?;
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
        model: req.device_model.clone(),
        queue: push::backlog_after(req.queue, &req.mutations),
        at: now,
    };
    let applied = store
        .apply(device.id, batch, signed, seen, reference)
        .await?;
    let mut results = Vec::with_capacity(req.mutations.len());
    for (m, answer) in req.mutations.iter().zip(applied.answers) {
        match answer {
            Applied::Answer(outcome) => results.push(MutationResult { id: m.id, outcome }),
            // Only the first mutation of a consecutive batch can open a gap.
            Applied::Gap { expected } => return Err(AppError::Gap { expected }),
            Applied::Reused { from, expected } => {
                tracing::warn!(from, expected, "push reuses applied mutation numbers");
                return Err(AppError::NumberReused { from, expected });
            }
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

/// Checks the push's signatures against the device's key (binding the key it offers if it
/// has none yet), before anything is applied; returns what to keep of them.
async fn check_signatures(
    state: &AppState,
    device: &Device,
    req: &PushRequest,
    now: DateTime<Utc>,
) -> Result<Vec<SignedMutation>, AppError> {
    let store = state.store.as_ref();
    let bound = store.device_key(device.id).await?;
    let Some(key) =
        signatures::push_key(bound.as_deref(), req.public_key.as_deref(), &req.mutations)
            .map_err(refused)?
    else {
        return Ok(Vec::new());
    };
    let signed = signatures::check_all(&key, &req.mutations).map_err(refused)?;
    if key.bind {
        bind(state, device, &key.text, now).await?;
    }
    Ok(signed)
}

/// Binds `key` to `device` unless another is bound (`POST /v1/device/key`, and a first
/// push carrying a key).
pub async fn bind(
    state: &AppState,
    device: &Device,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let key = key.trim();
    if gridwalk_protocol::signing::decode_public_key(key).is_none() {
        return Err(refused(KeyRefusal::BadKey));
    }
    let bound = state.store.bind_device_key(device.id, key, now).await?;
    if bound.as_deref() == Some(key) {
        tracing::info!(device = %device.id, "device key bound");
        Ok(())
    } else {
        Err(refused(KeyRefusal::OtherKey))
    }
}

fn refused(r: KeyRefusal) -> AppError {
    match r {
        KeyRefusal::OtherKey => AppError::KeyMismatch(msg!(KEY_OTHER)),
        KeyRefusal::BadKey => AppError::BadRequest(msg!(KEY_BAD)),
        KeyRefusal::NoKey => AppError::BadSignature(msg!(KEY_NONE)),
        KeyRefusal::Signature(p) => AppError::BadSignature(msg!(NOT_APPLIED_SIGNATURE, reason = p)),
    }
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
