//! The intake API for the centre's other ports (`/v1/intake/…`), and the worker that
//! delivers their callbacks ([`crate::domain::ports`] says what each is).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gridwalk_protocol::intake::{
    CallbackInfo, CallbackSetting, Deliveries, IntakeAnswer, IntakeRequest,
};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{ReportId, UserId};

use crate::AppState;
use crate::domain::model::Device;
use crate::domain::ports::{self, Attempt, Filed, Filing, Outgoing};
use crate::error::AppError;
use crate::store::CaseStore;

/// The most deliveries listed at once.
pub const MAX_DELIVERIES_LISTED: u32 = 500;
/// How long one attempt may take before it counts as failed.
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How often the worker looks for deliveries due.
pub const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a claimed delivery is another server's to leave alone.
const LEASE_SECONDS: i64 = 60;

/// Files a port's call, exactly once per `Idempotency-Key`.
#[tracing::instrument(skip_all, fields(port = %port.id))]
pub async fn file(
    state: &AppState,
    port: &Device,
    key: Option<&str>,
    req: &IntakeRequest,
    now: DateTime<Utc>,
) -> Result<Filed, AppError> {
    let key = ports::idempotency_key(key).map_err(AppError::BadRequest)?;
    let store = state.store.as_ref();
    let source = store
        .user(port.user)
        .await?
        .and_then(|u| u.source)
        .ok_or_else(|| AppError::Forbidden(msg!(NOT_A_PORT)))?;
    let reference = state
        .reference
        .with_rules(store, req.code_table_version.as_deref().into_iter())
        .await?;
    let placed = ports::report_of(
        req,
        ReportId::new(),
        port,
        &reference,
        state.uploads.max_size,
        now,
    )
    .map_err(AppError::BadRequest)?;
    ports::reachable(source, &placed).map_err(AppError::BadRequest)?;
    let filed = store
        .file_report(
            Filing {
                port: port.clone(),
                source,
                key: key.clone(),
                request_sha256: ports::request_sha256(req),
                caller_ref: req.caller_ref.clone(),
                placed,
                at: now,
            },
            reference,
        )
        .await?;
    match &filed {
        Filed::Made(a) => {
            tracing::info!(report = %a.report, caller_ref = %a.caller_ref, "port report filed")
        }
        Filed::Replayed(a) => tracing::info!(report = %a.report, "port call repeated"),
        Filed::KeyReused { report } => {
            return Err(AppError::KeyReused(msg!(
                KEY_REUSED,
                key = gridwalk_protocol::validate::shown(&key),
                report = report
            )));
        }
        Filed::CallerRefTaken { report } => {
            return Err(AppError::Refused(msg!(
                CALLER_REF_TAKEN,
                caller_ref = gridwalk_protocol::validate::shown(&req.caller_ref),
                report = report
            )));
        }
    }
    Ok(filed)
}

/// One of the port's own reports, as it stands.
pub async fn report(
    state: &AppState,
    port: &Device,
    id: ReportId,
) -> Result<IntakeAnswer, AppError> {
    state
        .store
        .port_report(port.user, id)
        .await?
        .ok_or_else(|| AppError::NotFound(msg!(NO_REPORT, id = id)))
}

/// Registers the port's callback (or with `None` removes it).
pub async fn set_callback(
    state: &AppState,
    port: &Device,
    setting: Option<CallbackSetting>,
) -> Result<CallbackInfo, AppError> {
    if let Some(s) = &setting {
        ports::check_callback(s, state.private_callbacks).map_err(AppError::BadRequest)?;
    }
    let store = state.store.as_ref();
    store.set_callback(port.user, setting, Utc::now()).await?;
    Ok(store.callback(port.user).await?)
}

pub async fn callback(state: &AppState, port: &Device) -> Result<CallbackInfo, AppError> {
    Ok(state.store.callback(port.user).await?)
}

/// The port's delivery log, newest first.
pub async fn deliveries(
    store: &dyn CaseStore,
    account: Option<UserId>,
    limit: Option<u32>,
) -> Result<Deliveries, AppError> {
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > MAX_DELIVERIES_LISTED {
        return Err(AppError::BadRequest(msg!(
            FEED_LIMIT,
            max = MAX_DELIVERIES_LISTED,
            limit = limit
        )));
    }
    Ok(Deliveries {
        deliveries: store.deliveries(account, limit).await?,
    })
}

/// Delivers what is due now, once each; how many were tried.
pub async fn deliver_due(
    store: &dyn CaseStore,
    client: &reqwest::Client,
    retry_base: std::time::Duration,
    private: bool,
) -> Result<usize, AppError> {
    let now = Utc::now();
    let lease = now + chrono::Duration::seconds(LEASE_SECONDS);
    let due = store.claim_deliveries(now, lease, 20).await?;
    let base = chrono::Duration::from_std(retry_base).unwrap_or(chrono::Duration::minutes(1));
    let n = due.len();
    // At once (each report has at most one delivery claimed, the oldest it owes), so a
    // round takes one attempt's time at most, well within the lease.
    let attempts =
        futures_util::future::join_all(due.iter().map(|out| attempt(client, out, base, private)))
            .await;
    for a in &attempts {
        store.record_attempt(a).await?;
    }
    Ok(n)
}

/// One POST of a delivery, judged.
async fn attempt(
    client: &reqwest::Client,
    out: &Outgoing,
    base: chrono::Duration,
    private: bool,
) -> Attempt {
    let id = out.progress.delivery;
    let attempts = out.attempts + 1;
    // An address written in the URL is not resolved: held to the rule here, as it was when
    // the callback was registered (the centre's setting may have changed since).
    let setting = CallbackSetting {
        url: out.url.clone(),
        secret: out.secret.clone(),
    };
    if let Err(why) = ports::check_callback(&setting, private) {
        return Attempt::judged(id, attempts, None, Some(why.english()), Utc::now(), base);
    }
    let body = serde_json::to_vec(&out.progress).unwrap_or_default();
    let sent = client
        .post(&out.url)
        .timeout(ATTEMPT_TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Gridwalk-Delivery", id.to_string())
        .header("X-Gridwalk-Signature", ports::signature(&out.secret, &body))
        .body(body)
        .send()
        .await;
    let (status, error) = match sent {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (
            None,
            Some(msg!(CALLBACK_FAILED, why = without_url(&e)).english()),
        ),
    };
    let a = Attempt::judged(id, attempts, status, error, Utc::now(), base);
    if a.delivered_at.is_none() {
        tracing::warn!(
            delivery = id,
            attempts,
            status,
            error = a.error.as_deref(),
            "callback delivery failed"
        );
    }
    a
}

/// A request error in words, without the URL (which may carry the port's own secrets).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = None;
    while let Some(s) = source {
        detail = Some(s.to_string());
        source = s.source();
    }
    match detail {
        Some(d) => format!("{kind}: {d}"),
        None => kind.to_owned(),
    }
}

/// Resolves a callback's host to its public addresses only: a name that points into the
/// centre's own network (now, or since the callback was registered) is not reached.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| ports::public_address(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Delivers callbacks for as long as the server runs; `private` lets them reach private,
/// loopback and link-local addresses ([`ports::check_callback`]).
pub async fn deliver_forever(
    store: Arc<dyn CaseStore>,
    retry_base: std::time::Duration,
    private: bool,
) {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gridwalk-sync/", env!("CARGO_PKG_VERSION")));
    if !private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client: callbacks are not delivered");
            return;
        }
    };
    let mut every = tokio::time::interval(POLL_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = deliver_due(store.as_ref(), &client, retry_base, private).await {
            tracing::warn!(error = %e, "delivering callbacks failed");
        }
    }
}
