//! How much one device may push. Each push costs its number of mutations (an empty one
//! costs one): a real engine pushes once a sync round, or a few full pushes (100 mutations
//! each) in a row while it drains a backlog, well within a burst of [`PUSH_BURST`]; beyond
//! that a device gets [`PUSHES_PER_SECOND`] mutations a second. A push over the budget is
//! answered `429 Too Many Requests` with `Retry-After` and nothing in it is read, so one
//! tablet flooding the centre with its most expensive pushes gets a small share of the
//! writer, not all of it. The engine takes a 429 like a busy server and tries again in its
//! next round.
//!
//! The count is kept in memory, per server instance, by the `governor` crate's keyed
//! GCRA limiter: behind several instances a device gets that rate at each.
//!
//! The public's 随手拍 page has no account to count by: [`PublicThrottle`] counts by
//! address, and everyone together, the same way.

use gridwalk_protocol::message::msg;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use gridwalk_protocol::DeviceId;

use crate::error::AppError;

/// Mutations one device may push each second, sustained.
pub const PUSHES_PER_SECOND: u32 = 100;
/// Mutations one device may push at once before the rate applies (ten full pushes).
pub const PUSH_BURST: u32 = 1000;

/// The per-device push limiter.
#[derive(Clone)]
pub struct PushThrottle {
    limiter: Arc<DefaultKeyedRateLimiter<DeviceId>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for PushThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushThrottle")
            .field("devices", &self.limiter.len())
            .finish()
    }
}

impl Default for PushThrottle {
    fn default() -> Self {
        Self::new(PUSHES_PER_SECOND, PUSH_BURST)
    }
}

impl PushThrottle {
    /// A limiter allowing `per_second` mutations a second per device after a burst of
    /// `burst` (zero means one).
    #[must_use]
    pub fn new(per_second: u32, burst: u32) -> Self {
        let one = NonZeroU32::MIN;
        let quota = Quota::per_second(NonZeroU32::new(per_second).unwrap_or(one))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(one));
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a push of `mutations` by `device`; refuses it, saying when to come back, if
    /// the device's budget does not cover it yet.
    pub fn check(&self, device: DeviceId, mutations: usize) -> Result<(), AppError> {
        let cost = u32::try_from(mutations.max(1)).unwrap_or(u32::MAX);
        let cost = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        let wait = match self.limiter.check_key_n(&device, cost) {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(not_until)) => not_until.wait_time_from(self.clock.now()),
            // More than the burst in one push: refused by the size limits before this.
            Err(_) => std::time::Duration::from_secs(1),
        };
        let retry_after = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        tracing::warn!(%device, mutations, "push refused: this device is pushing too fast");
        Err(AppError::Throttled {
            message: msg!(
                THROTTLED_DEVICE,
                rate = PUSHES_PER_SECOND,
                seconds = retry_after
            ),
            retry_after,
        })
    }

    /// Forgets devices that have not pushed for a while (called from the sweeper).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// 随手拍 reports one address may send an hour, unless configured otherwise.
pub const PUBLIC_PER_HOUR: u32 = 10;
/// 随手拍 submissions read at once: with three photos of at most 4 MiB each, at most about
/// 100 MB held.
pub const PUBLIC_AT_ONCE: usize = 8;
/// 随手拍 reports all addresses together may send a minute (a flood from many addresses
/// meets this before it fills the inspectors' task lists).
pub const PUBLIC_PER_MINUTE: u32 = 120;

/// The 随手拍 limiter: per address (its TCP peer; behind a reverse proxy the proxy's, which
/// then shares one budget: raise `--public-reports-per-hour` there), and for everyone at
/// once. Kept in memory per server instance, like [`PushThrottle`]; a submission counts
/// whether or not it is then filed, so a page retried in a loop spends its own budget.
#[derive(Clone)]
pub struct PublicThrottle {
    by_address: Arc<DefaultKeyedRateLimiter<String>>,
    all: Arc<governor::DefaultDirectRateLimiter>,
    per_hour: u32,
    clock: DefaultClock,
    /// Submissions being read and checked at once (each holds its photos in memory).
    slots: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for PublicThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicThrottle")
            .field("per_hour", &self.per_hour)
            .field("addresses", &self.by_address.len())
            .finish()
    }
}

impl Default for PublicThrottle {
    fn default() -> Self {
        Self::new(PUBLIC_PER_HOUR, PUBLIC_PER_MINUTE)
    }
}

impl PublicThrottle {
    /// A limiter allowing `per_hour` reports an hour from one address (all at once if they
    /// come so) and `per_minute` from everyone (zero means one).
    #[must_use]
    pub fn new(per_hour: u32, per_minute: u32) -> Self {
        let one = NonZeroU32::MIN;
        let per_hour = NonZeroU32::new(per_hour).unwrap_or(one);
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(one);
        Self {
            by_address: Arc::new(RateLimiter::keyed(Quota::per_hour(per_hour))),
            all: Arc::new(RateLimiter::direct(Quota::per_minute(per_minute))),
            per_hour: per_hour.get(),
            clock: DefaultClock::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(PUBLIC_AT_ONCE)),
        }
    }

    /// A place for one submission to be read and checked, held until dropped; refused
    /// (try again in a second) when [`PUBLIC_AT_ONCE`] are under way.
    pub fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .map_err(|_| AppError::Throttled {
                message: msg!(PUBLIC_BUSY, seconds = 1),
                retry_after: 1,
            })
    }

    /// Reports one address may send an hour.
    #[must_use]
    pub fn per_hour(&self) -> u32 {
        self.per_hour
    }

    /// Counts a submission from `address`; refuses it, saying when to come back, if that
    /// address or everyone together has sent as many as the limits allow.
    pub fn check(&self, address: &str) -> Result<(), AppError> {
        if let Err(not_until) = self.by_address.check_key(&address.to_owned()) {
            let wait = not_until.wait_time_from(self.clock.now()).as_secs();
            tracing::warn!(
                address,
                "随手拍 refused: this address sends too many reports"
            );
            return Err(AppError::Throttled {
                message: msg!(
                    PUBLIC_THROTTLED,
                    n = self.per_hour,
                    minutes = wait.div_ceil(60).max(1)
                ),
                retry_after: wait.max(1),
            });
        }
        if let Err(not_until) = self.all.check() {
            let wait = not_until.wait_time_from(self.clock.now()).as_secs().max(1);
            tracing::warn!("随手拍 refused: too many reports from the public at once");
            return Err(AppError::Throttled {
                message: msg!(PUBLIC_BUSY, seconds = wait),
                retry_after: wait,
            });
        }
        Ok(())
    }

    /// Forgets addresses that have not sent for a while (called from the sweeper).
    pub fn forget_idle(&self) {
        self.by_address.retain_recent();
        self.by_address.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_gets_its_burst_then_waits_and_others_are_not_affected() {
        let t = PushThrottle::new(100, 300);
        let (flood, other) = (DeviceId::new(), DeviceId::new());
        for _ in 0..3 {
            assert!(t.check(flood, 100).is_ok());
        }
        let Err(AppError::Throttled {
            message,
            retry_after,
        }) = t.check(flood, 100)
        else {
            panic!("the fourth full push at once is refused")
        };
        assert!(message.english().contains("pushing faster"), "{message}");
        assert_eq!(retry_after, 1);
        assert!(
            t.check(other, 100).is_ok(),
            "another device is not held back"
        );
        assert!(t.check(other, 0).is_ok(), "an empty push costs one");
    }

    #[test]
    fn an_address_gets_its_hour_then_waits_and_everyone_shares_a_minute() {
        let t = PublicThrottle::new(3, 5);
        for _ in 0..3 {
            assert!(t.check("203.0.113.7").is_ok());
        }
        let Err(AppError::Throttled {
            message,
            retry_after,
        }) = t.check("203.0.113.7")
        else {
            panic!("the fourth report within the hour is refused")
        };
        assert!(
            message.english().contains("3 reports within the hour"),
            "{message}"
        );
        assert!((1..=1200).contains(&retry_after), "{retry_after}");
        assert!(t.check("198.51.100.1").is_ok());
        assert!(t.check("198.51.100.2").is_ok());
        let Err(AppError::Throttled { message, .. }) = t.check("198.51.100.3") else {
            panic!("the sixth report from anyone within the minute is refused")
        };
        assert!(
            message.english().contains("many reports from the public"),
            "{message}"
        );
    }
}
