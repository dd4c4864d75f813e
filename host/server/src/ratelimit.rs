//! Per-tenant rate limits: a token bucket for each tenant (or other key).

use std::{collections::HashMap, hash::Hash, sync::Mutex, time::Instant};

use nudge_core::TenantId;

/// Token buckets by tenant, or by another key `K`.
#[derive(Debug)]
pub struct RateLimiter<K = TenantId> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// `per_second` requests on average, `burst` at most at once.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self { per_second: f64::from(per_second), burst: f64::from(burst.max(1)), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `tenant`; `Err(seconds)` to wait when none is left.
    pub fn take(&self, tenant: &K, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, last) = buckets.entry(tenant.clone()).or_insert((self.burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else if self.per_second > 0.0 {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        } else {
            Err(60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refilled_at_the_rate() {
        let limiter = RateLimiter::new(2, 3);
        let (a, b) = (TenantId::new("a").unwrap(), TenantId::new("b").unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.take(&a, t0).unwrap();
        }
        assert_eq!(limiter.take(&a, t0), Err(1));
        // Another tenant has its own bucket.
        limiter.take(&b, t0).unwrap();
        // Half a second refills one token at 2 per second.
        limiter.take(&a, t0 + Duration::from_millis(500)).unwrap();
        assert!(limiter.take(&a, t0 + Duration::from_millis(500)).is_err());
    }
}
