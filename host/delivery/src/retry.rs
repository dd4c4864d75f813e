//! When to try a failed send again: exponential backoff with full jitter.
//!
//! After the `n`th failed attempt (1-based) of a transient failure, the next
//! attempt waits a uniformly random time in `[0, min(cap, base × factorⁿ⁻¹)]`
//! ("full jitter", which spreads retries of many sends apart), or at least
//! the provider's `Retry-After` (itself capped at `retry_after_cap_ms`).
//! A permanent failure is never retried, and nothing is tried more than
//! `max_attempts` times in all.
//!
//! Two ways to use it:
//! - [`deliver_with_retries`] retries inline, sleeping through a
//!   [`Sleeper`]: for callers that may block (the CLI, escalations, tests).
//! - [`RetryPolicy::next_attempt`] says *when* to try again, for callers that
//!   reschedule durably instead of sleeping. This is how the scheduler is to
//!   use it (not wired in yet): on a transient failure it stores the attempt
//!   count on the notice and moves the notice's schedule entry to
//!   `next_attempt(attempts, &error, now)` in one transaction, so a crash
//!   between attempts loses nothing and the same [`IdempotencyKey`] goes out
//!   on the next attempt; on `None` (attempts used up, or a permanent
//!   failure) it moves the notice to its next fallback channel (marking the
//!   contact unverified when [`SendError::blames_contact`]), or to failed
//!   when there is none.
//!
//! [`IdempotencyKey`]: crate::IdempotencyKey
//!
//! ```
//! use std::time::Duration;
//! use nudge_delivery::{Jitter, RetryPolicy, SendError};
//!
//! let policy = RetryPolicy::default();
//! let mut jitter = Jitter::seeded(7);
//! let timeout = SendError::transient("timed out");
//! let wait = policy.delay(1, &timeout, &mut jitter).unwrap();
//! assert!(wait <= Duration::from_millis(policy.base_ms));
//! assert_eq!(policy.delay(1, &SendError::permanent("HTTP 400"), &mut jitter), None);
//! assert_eq!(policy.delay(policy.max_attempts, &timeout, &mut jitter), None);
//! ```

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{ConfigError, IdempotencyKey, Outgoing, Receipt, SendError, Transport};

/// How failed sends are retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// The first backoff's ceiling, in milliseconds (default 1,000).
    pub base_ms: u64,
    /// How much the ceiling grows per attempt (default 2).
    pub factor: f64,
    /// The largest backoff ceiling, in milliseconds (default 600,000: 10 minutes).
    pub cap_ms: u64,
    /// Attempts in all, the first included (default 6).
    pub max_attempts: u32,
    /// The longest `Retry-After` honoured, in milliseconds (default 3,600,000: 1 hour).
    pub retry_after_cap_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base_ms: 1_000, factor: 2.0, cap_ms: 600_000, max_attempts: 6, retry_after_cap_ms: 3_600_000 }
    }
}

impl RetryPolicy {
    /// Refuses settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, reason: &str| {
            Err(ConfigError::Invalid { field: format!("retry.{field}"), reason: reason.to_string() })
        };
        if self.max_attempts == 0 {
            return invalid("max_attempts", "must be at least 1 (the first attempt)");
        }
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return invalid("factor", "must be a number of at least 1");
        }
        if self.cap_ms < self.base_ms {
            return invalid("cap_ms", "must be at least base_ms");
        }
        Ok(())
    }

    /// The backoff ceiling after the `attempt`th failure (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(1_000) as i32;
        let ms = (self.base_ms as f64) * self.factor.powi(exponent);
        Duration::from_millis(if ms.is_finite() { ms.min(self.cap_ms as f64) as u64 } else { self.cap_ms })
    }

    /// How long to wait after the `attempt`th attempt failed with `error`;
    /// `None` when it is not to be retried.
    pub fn delay(&self, attempt: u32, error: &SendError, jitter: &mut Jitter) -> Option<Duration> {
        let SendError::Transient { retry_after, .. } = error else { return None };
        if attempt >= self.max_attempts {
            return None;
        }
        let backoff = jitter.up_to(self.ceiling(attempt));
        let asked = retry_after.map(|d| d.min(Duration::from_millis(self.retry_after_cap_ms)));
        Some(asked.map_or(backoff, |asked| asked.max(backoff)))
    }

    /// When to make the next attempt after the `attempt`th failed with
    /// `error` at `now`; `None` when it is not to be retried.
    pub fn next_attempt(
        &self,
        attempt: u32,
        error: &SendError,
        now: Timestamp,
        jitter: &mut Jitter,
    ) -> Option<Timestamp> {
        let delay = self.delay(attempt, error, jitter)?;
        let span = jiff::SignedDuration::try_from(delay).ok()?;
        now.checked_add(span).ok()
    }
}

/// The source of jitter: SplitMix64, seeded (tests) or from the process's
/// random hash keys (production). Not for anything secret.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Jitter that repeats for the same seed.
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    /// Jitter seeded differently in each process and call.
    pub fn random() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        Self(hasher.finish())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniformly random duration in `[0, max]` (millisecond steps).
    pub fn up_to(&mut self, max: Duration) -> Duration {
        let max_ms = max.as_millis().min(u128::from(u64::MAX - 1)) as u64;
        Duration::from_millis(self.next_u64() % (max_ms + 1))
    }
}

/// Waits between inline attempts.
pub trait Sleeper {
    /// Blocks for `duration` (or records it, in tests).
    fn sleep(&mut self, duration: Duration);
}

/// Sleeps the thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A send that went through, and how many attempts it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered<T = Receipt> {
    /// What the provider answered.
    pub receipt: T,
    /// Attempts made, 1 when the first went through.
    pub attempts: u32,
}

/// A send given up on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gave up after {attempts} attempt(s): {error}")]
pub struct GaveUp {
    /// The last attempt's failure.
    pub error: SendError,
    /// Attempts made.
    pub attempts: u32,
}

/// Runs `attempt` until it succeeds, fails permanently, or `policy` says stop.
pub fn retry<T>(
    policy: &RetryPolicy,
    sleeper: &mut dyn Sleeper,
    jitter: &mut Jitter,
    mut attempt: impl FnMut() -> Result<T, SendError>,
) -> Result<Delivered<T>, GaveUp> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt() {
            Ok(receipt) => return Ok(Delivered { receipt, attempts }),
            Err(error) => match policy.delay(attempts, &error, jitter) {
                Some(wait) => {
                    tracing::debug!(
                        attempts,
                        wait_ms = wait.as_millis() as u64,
                        reason = error.reason(),
                        "retrying send"
                    );
                    sleeper.sleep(wait);
                }
                None => return Err(GaveUp { error, attempts }),
            },
        }
    }
}

/// Sends `message` through `transport` under `key`, retrying inline as
/// `policy` says; the same key goes out on every attempt.
pub fn deliver_with_retries(
    transport: &dyn Transport,
    message: &Outgoing,
    key: &IdempotencyKey,
    policy: &RetryPolicy,
    sleeper: &mut dyn Sleeper,
    jitter: &mut Jitter,
) -> Result<Delivered, GaveUp> {
    retry(policy, sleeper, jitter, || transport.send(message, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient() -> SendError {
        SendError::transient("HTTP 503")
    }

    #[test]
    fn ceilings_grow_by_the_factor_up_to_the_cap() {
        let policy = RetryPolicy { base_ms: 100, factor: 3.0, cap_ms: 2_000, ..RetryPolicy::default() };
        let ceilings: Vec<u128> = (1..=6).map(|n| policy.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 300, 900, 2_000, 2_000, 2_000]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_millis(2_000));
    }

    #[test]
    fn delays_are_full_jitter_below_the_ceiling_and_reproducible() {
        let policy = RetryPolicy { max_attempts: 100, ..RetryPolicy::default() };
        let mut jitter = Jitter::seeded(42);
        let delays: Vec<Duration> = (1..=20).map(|n| policy.delay(n, &transient(), &mut jitter).unwrap()).collect();
        for (n, delay) in (1..).zip(&delays) {
            assert!(*delay <= policy.ceiling(n), "attempt {n}: {delay:?}");
        }
        let mut again = Jitter::seeded(42);
        let repeated: Vec<Duration> = (1..=20).map(|n| policy.delay(n, &transient(), &mut again).unwrap()).collect();
        assert_eq!(delays, repeated);
        // Full jitter spreads over the whole range: of 1,000 draws under a
        // 1 s ceiling, some fall in each tenth.
        let mut jitter = Jitter::seeded(1);
        let mut tenths = [0; 10];
        for _ in 0..1_000 {
            let ms = jitter.up_to(Duration::from_millis(999)).as_millis() as usize;
            tenths[ms / 100] += 1;
        }
        assert!(tenths.iter().all(|&n| n > 50), "{tenths:?}");
    }

    #[test]
    fn permanent_failures_and_spent_attempts_are_not_retried() {
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        let mut jitter = Jitter::seeded(3);
        assert_eq!(policy.delay(1, &SendError::permanent("HTTP 400"), &mut jitter), None);
        assert_eq!(policy.delay(1, &SendError::bad_contact("no such number"), &mut jitter), None);
        assert!(policy.delay(2, &transient(), &mut jitter).is_some());
        assert_eq!(policy.delay(3, &transient(), &mut jitter), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let policy = RetryPolicy { base_ms: 10, retry_after_cap_ms: 60_000, ..RetryPolicy::default() };
        let mut jitter = Jitter::seeded(9);
        let asked = |s| SendError::Transient { reason: "429".into(), retry_after: Some(Duration::from_secs(s)) };
        assert_eq!(policy.delay(1, &asked(30), &mut jitter), Some(Duration::from_secs(30)));
        assert_eq!(policy.delay(1, &asked(7_200), &mut jitter), Some(Duration::from_secs(60)));
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(policy.next_attempt(1, &asked(30), now, &mut jitter), Some("2026-01-01T00:00:30Z".parse().unwrap()));
        assert_eq!(policy.next_attempt(1, &SendError::permanent("no"), now, &mut jitter), None);
    }

    #[test]
    fn inline_retries_sleep_between_attempts_and_stop_on_permanent() {
        struct Recorder(Vec<Duration>);
        impl Sleeper for Recorder {
            fn sleep(&mut self, duration: Duration) {
                self.0.push(duration);
            }
        }
        let policy = RetryPolicy { base_ms: 100, max_attempts: 5, ..RetryPolicy::default() };
        let mut answers = vec![Err(transient()), Err(transient()), Ok("sid")].into_iter();
        let mut sleeper = Recorder(Vec::new());
        let done = retry(&policy, &mut sleeper, &mut Jitter::seeded(5), || answers.next().unwrap()).unwrap();
        assert_eq!(done, Delivered { receipt: "sid", attempts: 3 });
        assert_eq!(sleeper.0.len(), 2);
        assert!(sleeper.0[0] <= Duration::from_millis(100) && sleeper.0[1] <= Duration::from_millis(200));

        let mut answers = vec![Err(transient()), Err(SendError::permanent("HTTP 400"))].into_iter();
        let mut sleeper = Recorder(Vec::new());
        let gave_up =
            retry::<()>(&policy, &mut sleeper, &mut Jitter::seeded(5), || answers.next().unwrap()).unwrap_err();
        assert_eq!(gave_up.attempts, 2);
        assert!(!gave_up.error.is_transient() && sleeper.0.len() == 1);

        let mut calls = 0;
        let gave_up = retry::<()>(&policy, &mut Recorder(Vec::new()), &mut Jitter::seeded(5), || {
            calls += 1;
            Err(transient())
        })
        .unwrap_err();
        assert_eq!((gave_up.attempts, calls), (5, 5));
    }

    #[test]
    fn bad_policies_are_refused() {
        let bad = RetryPolicy { max_attempts: 0, ..RetryPolicy::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("retry.max_attempts"));
        let bad = RetryPolicy { factor: 0.5, ..RetryPolicy::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("retry.factor"));
        let bad = RetryPolicy { cap_ms: 1, ..RetryPolicy::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("retry.cap_ms"));
        assert!(RetryPolicy::default().validate().is_ok());
    }
}
