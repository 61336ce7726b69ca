//! Authentication. A device presents the bearer token it was enrolled with; the server
//! keeps only the token's SHA-256, so a copy of the database does not let anyone
//! impersonate a device. Everyone else (team leaders, operators, departments' clerks,
//! administrators) signs in to the console with a password (kept as an Argon2id hash) and
//! gets a session token for 12 hours, sent as a bearer token
//! or, from the console's pages, as an HTTP-only, same-site cookie (so photos load in
//! `<img>` tags); only its SHA-256 is kept.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gridwalk_protocol::message::msg;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::domain::access::{
    Act, SESSION_IDLE_MINUTES, SessionState, Subject, Who, decide, session_state,
};
use crate::domain::model::{Device, User};
use crate::error::AppError;

/// A new random device token (256 bits, hex).
#[must_use]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the store keeps for a token.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token of an `Authorization: Bearer …` value (the scheme's case does not matter).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The authenticated device of a request (enrolled for someone the access rule lets sync).
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Device);

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        token_for(parts, state, Act::Sync).await.map(DeviceAuth)
    }
}

/// A photo upload's caller (tus): a tablet, another port's system uploading the photos of
/// the reports it filed, or a department's clerk uploading after-photos from the browser
/// with their console session (as their own upload credential,
/// [`crate::domain::uploads::console_device`]).
#[derive(Debug, Clone)]
pub struct UploaderAuth(pub Device);

impl FromRequestParts<AppState> for UploaderAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match token_for(parts, state, Act::Upload).await {
            Err(AppError::Unauthorized) if session_token(parts).is_some() => {
                let ConsoleAuth { user, .. } =
                    ConsoleAuth::from_request_parts(parts, state).await?;
                decide(&Who::from(&user), Act::Upload, Subject::Any)?;
                Ok(UploaderAuth(Device {
                    id: crate::domain::uploads::console_device(user.id),
                    user: user.id,
                    role: user.role,
                }))
            }
            other => other.map(UploaderAuth),
        }
    }
}

/// Another port's system (a service account's token), for the intake API.
#[derive(Debug, Clone)]
pub struct PortAuth(pub Device);

impl FromRequestParts<AppState> for PortAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        token_for(parts, state, Act::FileReports)
            .await
            .map(PortAuth)
    }
}

/// The enrolled credential a bearer token names, if its holder may do `act`.
async fn token_for(parts: &Parts, state: &AppState, act: Act) -> Result<Device, AppError> {
    {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or(AppError::Unauthorized)?;
        let device = state
            .store
            .device_by_token(&token_hash(token.trim()))
            .await?
            .ok_or(AppError::Unauthorized)?;
        let span = tracing::Span::current();
        span.record("device", tracing::field::display(device.id));
        span.record("user", tracing::field::display(device.user));
        decide(&Who::from(&device), act, Subject::Any)?;
        Ok(device)
    }
}

/// How long a console session lasts: a working day and then some.
pub const SESSION_HOURS: i64 = 12;

/// The cookie the console's pages carry their session in (the same token as the bearer).
pub const SESSION_COOKIE: &str = "gridwalk_session";

/// An Argon2id hash of a console password, in the PHC string format.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches a stored hash (a malformed hash matches nothing).
#[must_use]
pub fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks `password` against `hash` (or, with none, against a stand-in hash, to take the
/// same time) on the blocking pool: Argon2 takes tens of milliseconds of CPU by design, and
/// on the async workers a burst of sign-ins would stall every other request.
pub async fn check_password(password: String, hash: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        verify_or_stand_in(&password, hash.as_deref(), password_matches)
    })
    .await
    .map_err(|e| AppError::Internal(format!("checking a password: {e}")))
}

/// The stand-in an unknown login's password is checked against: a real Argon2 hash made
/// as every stored one is, so the work is the same.
fn stand_in() -> &'static str {
    static STAND_IN: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password(&new_token()).unwrap_or_default());
    &STAND_IN
}

/// Checks `password` with `verify` exactly once, against `hash` or, for an unknown login
/// (none), against [`stand_in`] and then refuses: equal work either way, so the answer's
/// timing does not tell which logins exist.
fn verify_or_stand_in(
    password: &str,
    hash: Option<&str>,
    verify: impl Fn(&str, &str) -> bool,
) -> bool {
    match hash {
        Some(h) => verify(password, h),
        None => {
            let _ = verify(password, stand_in());
            false
        }
    }
}

/// The console session token of a request: the bearer header, else the session cookie.
fn session_token(parts: &Parts) -> Option<String> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .map(|t| t.trim().to_owned());
    bearer.or_else(|| {
        parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_owned())
    })
}

/// The person signed in to the console with a live session: anyone the access rule lets
/// use the console (never an inspector).
#[derive(Debug, Clone)]
pub struct ConsoleAuth {
    pub user: User,
    /// The session token's SHA-256 (to end it).
    pub session: String,
}

impl FromRequestParts<AppState> for ConsoleAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let signed_out = || AppError::SignedOut(msg!(SIGN_IN_FIRST));
        let token = session_token(parts).ok_or_else(signed_out)?;
        let session = token_hash(&token);
        let now = chrono::Utc::now();
        let (user, last_used) = state
            .store
            .session_user(&session, now)
            .await?
            .ok_or_else(|| AppError::SignedOut(msg!(SESSION_ENDED)))?;
        match session_state(now, last_used) {
            SessionState::Idle => {
                state.store.end_session(&session).await?;
                return Err(AppError::SignedOut(msg!(
                    SESSION_IDLE,
                    minutes = SESSION_IDLE_MINUTES
                )));
            }
            SessionState::Live { touch: true } => state.store.touch_session(&session, now).await?,
            SessionState::Live { touch: false } => {}
        }
        tracing::Span::current().record("user", tracing::field::display(user.id));
        decide(&Who::from(&user), Act::UseConsole, Subject::Any)?;
        Ok(ConsoleAuth { user, session })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn params(hash: &str) -> String {
        let h = argon2::password_hash::PasswordHash::new(hash).expect("an Argon2 hash");
        format!("{} v={:?} {}", h.algorithm, h.version, h.params)
    }

    #[test]
    fn an_unknown_login_costs_one_argon2_check_like_a_known_one() {
        let stored = hash_password("correct horse").expect("hash");
        let seen = RefCell::new(Vec::new());
        let verify = |p: &str, h: &str| {
            seen.borrow_mut().push(h.to_owned());
            password_matches(p, h)
        };
        assert!(verify_or_stand_in("correct horse", Some(&stored), verify));
        assert!(!verify_or_stand_in("correct horse", None, verify));
        let seen = seen.into_inner();
        assert_eq!(seen.len(), 2, "one check each");
        assert_eq!(seen[0], stored);
        // The stand-in is a real hash with the stored hashes' algorithm and cost.
        assert_ne!(seen[1], stored);
        assert_eq!(params(&seen[1]), params(&stored));
        assert!(!password_matches("correct horse", &seen[1]));
    }

    /// On a runtime with one async worker, other tasks keep running while a password is
    /// checked: the check is off that worker. Were it on it, the check's first poll would
    /// finish the whole Argon2 run before the other task got a turn.
    #[tokio::test(flavor = "current_thread")]
    async fn a_password_check_leaves_the_async_worker_free() {
        let done = std::sync::atomic::AtomicBool::new(false);
        let mut turns = 0u32;
        let check = async {
            let ok = check_password("guess".into(), None).await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            ok
        };
        let others = async {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                turns += 1;
                tokio::task::yield_now().await;
            }
        };
        let (ok, ()) = tokio::join!(check, others);
        assert!(!ok.expect("checked"));
        assert!(turns > 0, "other tasks ran while Argon2 did");
    }
}
