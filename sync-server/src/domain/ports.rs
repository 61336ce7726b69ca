//! The centre's other ports (12345 and 12319 hotlines, 110/119 hand-overs, WeChat, the
//! public's 随手拍, leaders' instructions, video alerts): how a port's call becomes a report,
//! how a retried call is recognised, who checks it on site, and how the port hears back.
//!
//! - **A call**: a port's system files a report through the intake API as its service
//!   account ([`Role::Service`](super::model::Role::Service), enrolled with a token). The
//!   request becomes a [`Report`] made by that account, judged by the same rules as a
//!   tablet's ([`report_of`]: code table, fields, photo sizes, the cell it falls in).
//! - **Exactly once**: every call carries an `Idempotency-Key` ([`idempotency_key`]). The
//!   store keeps the key with the SHA-256 of the request ([`request_sha256`]) and the report
//!   it made: the same key with the same request answers that report again (a retry); with
//!   another request it is refused ([`Filed::KeyReused`]). The port's own reference (its
//!   工单号, `caller_ref`) is unique per port too, so a call resent under a new key is
//!   refused as well ([`Filed::CallerRefTaken`]), naming the report it made.
//! - **核实**: the report waits (`awaiting_check`) for an inspector of its cell to check on
//!   site that the problem is real: a task on their tablet, given to the inspector of that
//!   cell with the fewest open tasks ([`pick_inspector`]); no inspector covers the cell →
//!   no task, and the operators see it waiting in their queue.
//! - **Callbacks**: each port may register one callback URL with a secret. Every case event
//!   of its reports queues a delivery in the step's own transaction (so a step and its
//!   delivery commit together or not at all); the server POSTs each as a
//!   [`gridwalk_protocol::intake::Progress`], signed with an HMAC-SHA256 of the body
//!   ([`signature`]), one report's deliveries in order, and retries a failed one with a
//!   growing pause ([`retry_at`]) up to [`MAX_ATTEMPTS`] times; every attempt's answer is
//!   kept in the delivery log.

use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::intake::{
    CallbackSetting, IntakeAnswer, IntakeRequest, MAX_CALLER_REF_CHARS, MAX_IDEMPOTENCY_KEY_CHARS,
    Progress, Source,
};
use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{MutationBody, Report, ReportId, UserId};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::model::Device;
use super::place::Placed;
use super::push::{self, Effect};
use super::reference::Reference;

/// Attempts at one delivery before it is given up (the pauses between them add up to
/// about a day).
pub const MAX_ATTEMPTS: u32 = 12;
/// The longest pause between two attempts.
pub const MAX_PAUSE_MINUTES: i64 = 6 * 60;
/// The longest callback URL taken.
pub const MAX_URL_CHARS: usize = 2000;
/// A callback secret's length, in characters.
pub const SECRET_CHARS: (usize, usize) = (16, 256);

/// What filing a call did.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// A new report.
    Made(IntakeAnswer),
    /// The same call again (same key, same request): the answer it had.
    Replayed(IntakeAnswer),
    /// The key was used for another request, which made `report`.
    KeyReused { report: ReportId },
    /// The port's reference is already filed, as `report`.
    CallerRefTaken { report: ReportId },
}

/// A port's call, decided and ready to file.
#[derive(Debug, Clone)]
pub struct Filing {
    /// The port's credential (its service account's enrolled device).
    pub port: Device,
    pub source: Source,
    pub key: String,
    pub request_sha256: String,
    pub caller_ref: String,
    pub placed: Placed,
    pub at: DateTime<Utc>,
}

/// A delivery claimed for one attempt: where to, the secret to sign with, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub url: String,
    pub secret: String,
    pub attempts: u32,
    pub progress: Progress,
}

/// How one attempt at a delivery went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    /// Attempts made, this one included.
    pub attempts: u32,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_at: Option<DateTime<Utc>>,
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Attempt {
    /// The record of attempt number `attempts` at `now`, which got `status` (or failed to
    /// get an answer, `error`): taken on a 2xx, retried later ([`retry_at`] from `base`)
    /// otherwise.
    #[must_use]
    pub fn judged(
        id: i64,
        attempts: u32,
        status: Option<u16>,
        error: Option<String>,
        now: DateTime<Utc>,
        base: Duration,
    ) -> Self {
        let taken = status.is_some_and(|s| (200..300).contains(&s));
        let error = match (taken, status, error) {
            (true, _, _) => None,
            (false, _, Some(e)) => Some(e),
            (false, Some(s), None) => Some(msg!(CALLBACK_STATUS, status = s).english()),
            (false, None, None) => Some(msg!(CALLBACK_FAILED, why = "no answer").english()),
        };
        Self {
            id,
            attempts,
            delivered_at: taken.then_some(now),
            next_at: if taken {
                None
            } else {
                retry_at(attempts, now, base)
            },
            status,
            error,
        }
    }
}

/// The `Idempotency-Key` header's value, checked: 1 to 255 printable ASCII characters.
pub fn idempotency_key(raw: Option<&str>) -> Result<String, Message> {
    let max = MAX_IDEMPOTENCY_KEY_CHARS;
    let Some(key) = raw else {
        return Err(msg!(KEY_MISSING, max = max));
    };
    let key = key.trim();
    if key.is_empty() || key.len() > max || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(msg!(KEY_INVALID, max = max));
    }
    Ok(key.to_owned())
}

/// The request's fingerprint: the SHA-256 of its JSON as parsed (so spacing and the order
/// of fields do not matter, and every value does).
#[must_use]
pub fn request_sha256(req: &IntakeRequest) -> String {
    let body = serde_json::to_vec(req).unwrap_or_default();
    hex(&Sha256::digest(body))
}

/// The report a port's request makes, placed in the grid, or why it is refused. `id` is
/// the new report's ID; `max_photo_bytes` the largest photo this centre takes.
pub fn report_of(
    req: &IntakeRequest,
    id: ReportId,
    port: &Device,
    reference: &Reference,
    max_photo_bytes: u64,
    now: DateTime<Utc>,
) -> Result<Placed, Message> {
    check_caller_ref(&req.caller_ref)?;
    let version = req
        .code_table_version
        .clone()
        .or_else(|| reference.tables().last().map(|t| t.version().to_owned()))
        .unwrap_or_default();
    let report = Report {
        id,
        kind: req.kind,
        category: req.category.clone(),
        code_table_version: version,
        component_id: None,
        description: req.description.clone(),
        address: req.address.clone(),
        location: req.location,
        cell: None,
        location_flags: Vec::new(),
        urgency: req.urgency,
        observed_at: req.observed_at,
        reporter: port.user,
        device: port.id,
        photos: req.photos.clone(),
        clips: Vec::new(),
        handled_on_spot: false,
    };
    let body = MutationBody::SubmitReport {
        report: Box::new(report),
    };
    match push::decide(&body, port, &[], reference, max_photo_bytes, now) {
        Effect::InsertReport(placed) => Ok(Placed {
            // The port named no cell and raised no flag: the centre's place is the only
            // one, with nothing claimed beside it.
            claim: None,
            ..*placed
        }),
        Effect::Reject(why) => Err(why),
        // A submission is received or refused, nothing else.
        Effect::EditReport(_) | Effect::Step(_) => Err(msg!(INTERNAL)),
    }
}

/// Whether a port's report placed so can be taken: a citizen's (the public's) is checked on
/// site by the inspector of its cell, so one outside the grid, where no one could go, is
/// refused; any other port's is still taken, for the operators to handle.
///
/// # Errors
/// `public.outside`, for the public's report placed outside the grid.
pub fn reachable(source: Source, placed: &Placed) -> Result<(), Message> {
    let outside = placed
        .report
        .location_flags
        .iter()
        .any(|f| matches!(f, gridwalk_protocol::LocationFlag::OutsideGrid { .. }));
    if source == Source::Public && outside {
        return Err(msg!(PUBLIC_OUTSIDE));
    }
    Ok(())
}

/// An inspector who could check a report of some cell: one who covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checker {
    pub user: UserId,
    pub login: String,
    /// Tasks open on them now (核查 and 核实).
    pub open_tasks: u64,
}

/// Who checks on site: the inspector of the cell with the fewest open tasks (by login
/// when even), so checks spread over a cell's inspectors; none when no one covers it.
#[must_use]
pub fn pick_inspector(candidates: &[Checker]) -> Option<UserId> {
    candidates
        .iter()
        .min_by(|a, b| {
            a.open_tasks
                .cmp(&b.open_tasks)
                .then_with(|| a.login.cmp(&b.login))
        })
        .map(|c| c.user)
}

/// When to try a delivery again after its `attempts`-th failed attempt at `now`: after
/// `base` (a minute by default), then 2, 4 … times it, at most [`MAX_PAUSE_MINUTES`]; none
/// once [`MAX_ATTEMPTS`] have failed.
#[must_use]
pub fn retry_at(attempts: u32, now: DateTime<Utc>, base: Duration) -> Option<DateTime<Utc>> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let exponent = attempts.saturating_sub(1).min(16);
    let pause = (base * (1_i32 << exponent)).min(Duration::minutes(MAX_PAUSE_MINUTES));
    Some(now + pause)
}

/// A callback setting, checked: an `http` or `https` URL with a host, no user or password
/// in it and a real port, and a secret of 16 to 256 characters that is not blank. With
/// `private` false, a host that is a loopback, private, link-local or otherwise non-public
/// address (or `localhost`) is refused: a port's system is on the public side, and a
/// callback must not reach into the centre's own network. A name is checked again each
/// time it is resolved ([`public_address`]).
pub fn check_callback(setting: &CallbackSetting, private: bool) -> Result<(), Message> {
    let raw = setting.url.as_str();
    let shown = gridwalk_protocol::validate::shown(raw);
    let bad = || msg!(CALLBACK_URL, max = MAX_URL_CHARS, url = shown.clone());
    // Written out as `scheme://host…` (a parser would read `https:///x` as host `x`).
    let host_first = raw
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.starts_with(['/', '\\']));
    if raw.chars().count() > MAX_URL_CHARS || raw.chars().any(char::is_whitespace) || !host_first {
        return Err(bad());
    }
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    let host = url.host().ok_or_else(bad)?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
        || url.port() == Some(0)
    {
        return Err(bad());
    }
    if !private {
        let public = match host {
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d != "localhost" && !d.ends_with(".localhost")
            }
            url::Host::Ipv4(ip) => public_address(std::net::IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => public_address(std::net::IpAddr::V6(ip)),
        };
        if !public {
            return Err(msg!(CALLBACK_PRIVATE, url = shown));
        }
    }
    let n = setting.secret.chars().count();
    if n < SECRET_CHARS.0 || n > SECRET_CHARS.1 || setting.secret.trim().is_empty() {
        return Err(msg!(
            CALLBACK_SECRET,
            min = SECRET_CHARS.0,
            max = SECRET_CHARS.1
        ));
    }
    Ok(())
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, IPv6
/// unique local), link-local, shared (100.64/10), unspecified, multicast, broadcast or
/// documentation, nor an IPv4 address of those written as IPv6.
#[must_use]
pub fn public_address(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Whether a port's reference (its 工单号) is one: 1 to 64 characters, none of them a
/// control or formatting character (a line break, a tab, a zero-width space, a direction
/// mark), and no space at either end.
pub fn check_caller_ref(caller_ref: &str) -> Result<(), Message> {
    let n = caller_ref.chars().count();
    let ok = (1..=MAX_CALLER_REF_CHARS).contains(&n)
        && caller_ref.trim() == caller_ref
        && !caller_ref.chars().any(|c| c.is_control() || formatting(c));
    if ok {
        Ok(())
    } else {
        Err(msg!(CALLER_REF_BAD, max = MAX_CALLER_REF_CHARS))
    }
}

/// Unicode's invisible formatting characters (general category Cf) text may carry.
fn formatting(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// The `X-Gridwalk-Signature` of a delivery's body: `sha256=` and the hex HMAC-SHA256 of
/// the body under the port's secret.
#[must_use]
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_of_bounded_length() {
        assert_eq!(idempotency_key(Some(" abc-123 ")), Ok("abc-123".into()));
        assert_eq!(
            idempotency_key(None).expect_err("missing").code,
            "port.key_missing"
        );
        for bad in ["", "   ", "a b", "工单", &"k".repeat(256)] {
            assert_eq!(
                idempotency_key(Some(bad)).expect_err(bad).code,
                "port.key_invalid",
                "{bad:?}"
            );
        }
        assert!(idempotency_key(Some(&"k".repeat(255))).is_ok());
    }

    #[test]
    fn checks_go_to_the_least_busy_inspector_of_the_cell() {
        let a = Checker {
            user: UserId::new(),
            login: "b".into(),
            open_tasks: 2,
        };
        let b = Checker {
            user: UserId::new(),
            login: "c".into(),
            open_tasks: 1,
        };
        let c = Checker {
            user: UserId::new(),
            login: "a".into(),
            open_tasks: 1,
        };
        assert_eq!(pick_inspector(&[a.clone(), b.clone()]), Some(b.user));
        assert_eq!(pick_inspector(&[a, b, c.clone()]), Some(c.user), "by login");
        assert_eq!(pick_inspector(&[]), None);
    }

    #[test]
    fn retries_pause_longer_each_time_and_stop() {
        let now = Utc::now();
        let minute = Duration::minutes(1);
        assert_eq!(retry_at(1, now, minute), Some(now + Duration::minutes(1)));
        assert_eq!(retry_at(2, now, minute), Some(now + Duration::minutes(2)));
        assert_eq!(retry_at(5, now, minute), Some(now + Duration::minutes(16)));
        assert_eq!(
            retry_at(11, now, minute),
            Some(now + Duration::minutes(MAX_PAUSE_MINUTES))
        );
        assert_eq!(retry_at(MAX_ATTEMPTS, now, minute), None);
        let second = Duration::seconds(1);
        assert_eq!(retry_at(3, now, second), Some(now + Duration::seconds(4)));
    }

    #[test]
    fn callbacks_are_http_urls_with_a_secret() {
        let ok = |url: &str| CallbackSetting {
            url: url.into(),
            secret: "0123456789abcdef".into(),
        };
        assert_eq!(
            check_callback(&ok("https://hotline.example/cb?x=1"), false),
            Ok(())
        );
        assert_eq!(
            check_callback(&ok("HTTPS://HOTLINE.EXAMPLE/cb"), false),
            Ok(())
        );
        assert_eq!(
            check_callback(&ok("http://203.0.114.7:8080/cb"), false),
            Ok(())
        );
        for bad in [
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://:80/x",
            "https://a b/",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://example.com:99999/",
            "http://example.com:0/",
            "http://user:pw@example.com/",
            "http://user@example.com/",
        ] {
            assert_eq!(
                check_callback(&ok(bad), true).expect_err(bad).code,
                "port.callback_url",
                "{bad}"
            );
        }
        // The centre's own network is out of reach, unless this centre allows it.
        for inside in [
            "http://127.0.0.1:5432/",
            "http://localhost:8750/",
            "http://api.localhost/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0:22/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://[::1]:8750/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
        ] {
            assert_eq!(
                check_callback(&ok(inside), false).expect_err(inside).code,
                "port.callback_private",
                "{inside}"
            );
            assert_eq!(check_callback(&ok(inside), true), Ok(()), "{inside}");
        }
        let short = CallbackSetting {
            secret: "short".into(),
            ..ok("https://h/")
        };
        assert_eq!(
            check_callback(&short, false).expect_err("short").code,
            "port.callback_secret"
        );
        let blank = CallbackSetting {
            secret: " ".repeat(16),
            ..ok("https://h/")
        };
        assert_eq!(
            check_callback(&blank, false).expect_err("blank").code,
            "port.callback_secret"
        );
    }

    #[test]
    fn a_callers_reference_is_an_identifier() {
        for good in [
            "12345-20261202-0042",
            "工单二〇二六",
            &"k".repeat(64),
            "a b",
        ] {
            assert_eq!(check_caller_ref(good), Ok(()), "{good:?}");
        }
        for bad in [
            "",
            " lead",
            "lead ",
            "\u{3000}lead",
            "z\n2026-12-02T14:25:00Z ERROR forged",
            "a\tb",
            "a\u{200b}b",
            "a\u{202e}b",
            "\u{200b}",
            &"k".repeat(65),
        ] {
            assert_eq!(
                check_caller_ref(bad).expect_err(bad).code,
                "port.caller_ref",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_attempt_is_taken_on_2xx_and_retried_otherwise() {
        let now = Utc::now();
        let m = Duration::minutes(1);
        let ok = Attempt::judged(7, 1, Some(204), None, now, m);
        assert_eq!(
            (ok.delivered_at, ok.next_at, ok.error),
            (Some(now), None, None)
        );
        let refused = Attempt::judged(7, 2, Some(503), None, now, m);
        assert_eq!(refused.delivered_at, None);
        assert_eq!(refused.next_at, Some(now + Duration::minutes(2)));
        assert_eq!(
            refused.error.as_deref(),
            Some("the callback answered HTTP 503")
        );
        let gone = Attempt::judged(7, MAX_ATTEMPTS, None, Some("refused".into()), now, m);
        assert_eq!((gone.delivered_at, gone.next_at), (None, None), "given up");
    }

    #[test]
    fn signatures_are_the_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
