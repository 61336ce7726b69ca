//! The server's one error type and how it becomes an HTTP answer. Internal failures are
//! logged with their detail and answered with a generic message; what the client did wrong
//! is answered in words, with a stable code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{ApiError, MutationId, tus};

use crate::blobs::BlobError;
use crate::domain::Denied;
use crate::logging::causes;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(Message),
    #[error("missing or unknown token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(Message),
    /// The console's session is missing, unknown or over, or the sign-in was wrong.
    #[error("{0}")]
    SignedOut(Message),
    /// The case loop refused the step, in words (someone acted first, or out of turn).
    #[error("{0}")]
    Refused(Message),
    #[error("mutation numbers must continue from {expected}")]
    Gap { expected: MutationId },
    #[error(
        "this device's mutations from number {from} on were already applied with other content (its database went back in time); number them again from {expected}"
    )]
    NumberReused {
        from: MutationId,
        expected: MutationId,
    },
    #[error("{0}")]
    NotFound(Message),
    /// The request did not arrive in time: its body stopped, or the whole took too long.
    #[error("{0}")]
    TimedOut(Message),
    #[error("{0}")]
    Gone(Message),
    /// The device's feed cursor cannot continue: it must pull from the start.
    #[error("{0}")]
    Resync(Message),
    #[error("this upload holds {received} bytes; continue from there")]
    OffsetMismatch { received: u64 },
    #[error("{0}")]
    TooLarge(Message),
    /// The client holds as much as it may (open uploads): finish or end some first.
    #[error("{0}")]
    TooMany(Message),
    /// This client is asking faster than it may: try again after `retry_after` seconds.
    #[error("{message}")]
    Throttled { message: Message, retry_after: u64 },
    /// Too many requests in flight: try again shortly.
    #[error("{0}")]
    Busy(Message),
    /// The device's signing key is not the one bound to its token.
    #[error("{0}")]
    KeyMismatch(Message),
    /// A mutation's signature is missing or does not hold; nothing was applied.
    #[error("{0}")]
    BadSignature(Message),
    /// An `Idempotency-Key` used before for another request (422).
    #[error("{0}")]
    KeyReused(Message),
    #[error("{0}")]
    UnsupportedMediaType(Message),
    /// The path exists, not with this method.
    #[error("{0}")]
    MethodNotAllowed(Message),
    #[error("{0}")]
    ChecksumMismatch(Message),
    /// Something on the server's side went wrong that is not the client's doing (stored
    /// data that cannot be read, a task that failed); logged, answered generically.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

impl AppError {
    /// What the person is told, as a message of the catalogue.
    #[must_use]
    pub fn said(&self) -> Message {
        match self {
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::SignedOut(m)
            | AppError::Refused(m)
            | AppError::NotFound(m)
            | AppError::TimedOut(m)
            | AppError::Gone(m)
            | AppError::Resync(m)
            | AppError::TooLarge(m)
            | AppError::TooMany(m)
            | AppError::Throttled { message: m, .. }
            | AppError::Busy(m)
            | AppError::KeyMismatch(m)
            | AppError::BadSignature(m)
            | AppError::KeyReused(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::MethodNotAllowed(m)
            | AppError::ChecksumMismatch(m)
            | AppError::Store(
                StoreError::NotFound(m)
                | StoreError::Stale(m)
                | StoreError::Invalid(m)
                | StoreError::Refused(m),
            ) => m.clone(),
            AppError::Unauthorized => msg!(DEVICE_TOKEN),
            AppError::Gap { expected } => msg!(GAP, expected = expected),
            AppError::NumberReused { from, expected } => {
                msg!(NUMBER_REUSED, from = from, expected = expected)
            }
            AppError::OffsetMismatch { received } => msg!(UPLOAD_OFFSET, received = received),
            AppError::Internal(_) | AppError::Store(_) | AppError::Blob(_) => msg!(INTERNAL),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, expected) = match &self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", None),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            AppError::SignedOut(_) => (StatusCode::UNAUTHORIZED, "signed_out", None),
            AppError::Refused(_) => (StatusCode::CONFLICT, "refused", None),
            AppError::Gap { expected } => (StatusCode::CONFLICT, "gap", Some(*expected)),
            AppError::NumberReused { expected, .. } => (
                StatusCode::CONFLICT,
                gridwalk_protocol::sync::NUMBER_REUSED,
                Some(*expected),
            ),
            AppError::NotFound(_) | AppError::Store(StoreError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "not_found", None)
            }
            AppError::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None)
            }
            AppError::Gone(_) => (StatusCode::GONE, "gone", None),
            AppError::TimedOut(_) => (StatusCode::REQUEST_TIMEOUT, "timed_out", None),
            AppError::Resync(_) => (StatusCode::GONE, gridwalk_protocol::feed::RESYNC, None),
            AppError::Store(StoreError::Stale(_)) => (StatusCode::CONFLICT, "stale", None),
            AppError::Store(StoreError::Refused(_)) => (StatusCode::CONFLICT, "refused", None),
            AppError::Store(StoreError::Invalid(_)) => {
                (StatusCode::BAD_REQUEST, "bad_request", None)
            }
            AppError::OffsetMismatch { .. } => (StatusCode::CONFLICT, "offset_mismatch", None),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", None),
            AppError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy", None),
            AppError::TooMany(_) | AppError::Throttled { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many", None)
            }
            AppError::KeyMismatch(_) => (
                StatusCode::CONFLICT,
                gridwalk_protocol::signing::KEY_MISMATCH,
                None,
            ),
            AppError::BadSignature(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_signature", None),
            AppError::KeyReused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "key_reused", None),
            AppError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                None,
            ),
            AppError::ChecksumMismatch(_) => (
                StatusCode::from_u16(tus::CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
                "checksum_mismatch",
                None,
            ),
            AppError::Internal(_) | AppError::Store(_) | AppError::Blob(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let said = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %causes(&self), "request failed");
            msg!(INTERNAL)
        } else {
            self.said()
        };
        let message = said.english();
        // Security events: who was turned away, and why (the request's span names the
        // device or person when known).
        if matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
        ) || matches!(self, AppError::KeyMismatch(_) | AppError::BadSignature(_))
        {
            tracing::warn!(status = status.as_u16(), code, %message, "request refused");
        }
        let body = ApiError {
            error: code.to_owned(),
            message,
            code: said.code,
            params: said.params,
            fields: said.fields,
            cause: said.cause,
            expected,
            reused: match &self {
                AppError::NumberReused { from, .. } => Some(*from),
                _ => None,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if let AppError::Throttled { retry_after, .. } = &self {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after),
            );
        }
        resp
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Invalid(m) => AppError::BadRequest(m),
            Denied::Forbidden(m) => AppError::Forbidden(m),
            Denied::NotFound(m) => AppError::NotFound(m),
            Denied::Refused(m) => AppError::Refused(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log lines written while `f` runs.
    fn logged(f: impl FnOnce()) -> String {
        let buf = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = Arc::clone(&buf);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Writer(Arc::clone(&sink)))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(b);
            }
            Ok(b.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_server_failure_is_logged_with_its_causes_and_answered_without_them() {
        let cause = std::io::Error::other("deadlock detected while locking tuple");
        let err = AppError::Store(StoreError::database("PostgreSQL: UPDATE devices", cause));
        let mut status = StatusCode::OK;
        let log = logged(|| status = err.into_response().status());
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(log.contains("request failed"), "{log}");
        assert!(log.contains("PostgreSQL: UPDATE devices"), "{log}");
        assert!(
            log.contains("deadlock detected while locking tuple"),
            "{log}"
        );
    }

    #[test]
    fn a_clients_mistake_is_answered_in_words_and_not_logged_as_a_failure() {
        let mut status = StatusCode::OK;
        let log = logged(|| {
            status = AppError::from(Denied::Refused(msg!(CASE_REMOVED, report = "r")))
                .into_response()
                .status();
        });
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(!log.contains("request failed"), "{log}");
        let too_big = AppError::Store(StoreError::Invalid(msg!(VALUE_TOO_LARGE, n = 1)));
        assert_eq!(too_big.into_response().status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_refusal_of_who_is_asking_is_logged_as_a_security_event() {
        let log = logged(|| {
            let _ = AppError::Unauthorized.into_response();
            let _ = AppError::Forbidden(msg!(NOT_YOUR_TEAM)).into_response();
        });
        assert!(log.contains("request refused"), "{log}");
        assert!(
            log.contains("status=401") && log.contains("status=403"),
            "{log}"
        );
        assert!(log.contains("not from your team"), "{log}");
    }
}
