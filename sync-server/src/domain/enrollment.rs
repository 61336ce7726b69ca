//! One-time enrollment codes: how long one lasts, whether one may still be redeemed, and
//! what a redemption tells the team leader about the tablet it replaces.
//!
//! A code is made for one inspector by an administrator or their team leader
//! ([`super::access::Act::Enroll`]), kept only as its SHA-256, and redeemed once, before it
//! expires, by a tablet for its own device token ([`judge`]). Codes carry 100 random bits
//! ([`gridwalk_protocol::enrollment`]), so guessing one is hopeless; wrong codes are still
//! counted per address with the console's failed sign-ins and refused past the same limit.
//!
//! When an inspector is enrolled on a new tablet while an older one of theirs still held
//! reports when it was last heard from, the redemption names those tablets
//! ([`Replaced`]): the act in the audit trail says so, and the console's devices page warns
//! the leader that work is still on the old tablet.

use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{DeviceId, Message, UserId};

/// How long a code lasts unless its maker says otherwise.
pub const DEFAULT_MINUTES: u32 = 15;
/// The longest a code may last (a working day).
pub const MAX_MINUTES: u32 = 12 * 60;
/// The key wrong codes are counted under, beside the console's failed sign-ins.
pub const THROTTLE_KEY: &str = "(enrollment code)";

/// When a code made at `now` for `minutes` (the default if none) expires; the refusal
/// says the bounds.
pub fn expiry(now: DateTime<Utc>, minutes: Option<u32>) -> Result<DateTime<Utc>, Message> {
    let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
    if minutes == 0 || minutes > MAX_MINUTES {
        return Err(msg!(ENROLL_MINUTES, max = MAX_MINUTES));
    }
    Ok(now + Duration::minutes(i64::from(minutes)))
}

/// A stored code, as a redemption finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCode {
    pub user: UserId,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Why a code is not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such code (mistyped, or guessed).
    Unknown,
    Used(DateTime<Utc>),
    Expired(DateTime<Utc>),
    /// The code's inspector was disabled after it was made.
    Disabled,
    /// The tablet is enrolled (not revoked) for another inspector.
    DeviceOfAnother,
}

impl Refusal {
    /// The refusal in words.
    #[must_use]
    pub fn message(self) -> Message {
        match self {
            Refusal::Unknown => msg!(ENROLL_CODE_UNKNOWN),
            Refusal::Used(at) => msg!(ENROLL_CODE_USED, at = at.to_rfc3339()),
            Refusal::Expired(at) => msg!(ENROLL_CODE_EXPIRED, at = at.to_rfc3339()),
            Refusal::Disabled => msg!(ENROLL_CODE_HOLDER_DISABLED),
            Refusal::DeviceOfAnother => msg!(ENROLL_DEVICE_OTHER),
        }
    }
}

/// Whether the code found (if any) may be redeemed at `now`, and for whom. A used code
/// stays used after it expires: the answer says what happened first.
pub fn judge(found: Option<StoredCode>, now: DateTime<Utc>) -> Result<UserId, Refusal> {
    let code = found.ok_or(Refusal::Unknown)?;
    if let Some(at) = code.used_at {
        return Err(Refusal::Used(at));
    }
    if now >= code.expires_at {
        return Err(Refusal::Expired(code.expires_at));
    }
    Ok(code.user)
}

/// Whether the tablet may be enrolled for `user` with a valid code: not while that person
/// is disabled (disabling cancels what they were handed), and not when the tablet is
/// enrolled, and not revoked, for someone else — a code is for one inspector, and device
/// IDs are no secret, so redeeming one with another's tablet ID would take that tablet
/// away from its inspector. An administrator revokes the old enrollment first.
pub fn may_enroll(
    user: UserId,
    disabled: bool,
    device_owner: Option<UserId>,
) -> Result<(), Refusal> {
    if disabled {
        return Err(Refusal::Disabled);
    }
    match device_owner {
        Some(owner) if owner != user => Err(Refusal::DeviceOfAnother),
        _ => Ok(()),
    }
}

/// An older tablet of the inspector's that still held reports when last heard from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    pub device: DeviceId,
    pub reports: u64,
    pub last_seen: Option<DateTime<Utc>>,
}

/// What a redemption did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    Enrolled {
        user: UserId,
        replaced: Vec<Replaced>,
    },
    Refused(Refusal),
}

/// The audit trail's words for a redemption.
#[must_use]
pub fn detail(login: &str, replaced: &[Replaced]) -> String {
    let mut out = format!("for {login}, with a one-time code");
    for r in replaced {
        out.push_str(&format!(
            "; device {} still held {} reports when last seen",
            r.device, r.reports
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_lasts_its_minutes_within_bounds() {
        let now = Utc::now();
        assert_eq!(expiry(now, None), Ok(now + Duration::minutes(15)));
        assert_eq!(expiry(now, Some(60)), Ok(now + Duration::minutes(60)));
        assert!(expiry(now, Some(0)).is_err());
        assert!(expiry(now, Some(MAX_MINUTES + 1)).is_err());
    }

    #[test]
    fn a_code_is_redeemed_once_before_it_expires() {
        let now = Utc::now();
        let user = UserId::new();
        let code = |expires_at, used_at| {
            Some(StoredCode {
                user,
                expires_at,
                used_at,
            })
        };
        let later = now + Duration::minutes(1);
        let earlier = now - Duration::minutes(1);
        assert_eq!(judge(code(later, None), now), Ok(user));
        assert_eq!(judge(None, now), Err(Refusal::Unknown));
        let other = UserId::new();
        assert_eq!(may_enroll(user, false, None), Ok(()));
        assert_eq!(may_enroll(user, false, Some(user)), Ok(()));
        assert_eq!(
            may_enroll(user, false, Some(other)),
            Err(Refusal::DeviceOfAnother)
        );
        assert_eq!(may_enroll(user, true, None), Err(Refusal::Disabled));
        assert_eq!(judge(code(now, None), now), Err(Refusal::Expired(now)));
        assert_eq!(
            judge(code(earlier, Some(earlier)), now),
            Err(Refusal::Used(earlier)),
            "used, then expired: it was used"
        );
    }

    #[test]
    fn the_audit_names_the_tablets_still_holding_work() {
        let device = DeviceId::new();
        let text = detail(
            "lixiaoming",
            &[Replaced {
                device,
                reports: 3,
                last_seen: None,
            }],
        );
        assert!(text.contains(&format!("device {device} still held 3 reports")));
    }
}
