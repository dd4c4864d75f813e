//! Tenants and their settings.

use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{Error, PluginLimits, Result, TenantId};

/// A business that bills its customers through nudge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant's id; every key of its data starts with it.
    pub id: TenantId,
    /// Display name, used in notices ("Acme Ltd").
    pub name: String,
    /// Settings the tenant controls.
    pub settings: TenantSettings,
    /// When the tenant was created.
    pub created_at: Timestamp,
}

/// What a tenant can configure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Local hours in which notices may be sent (the rest are quiet hours).
    pub send_window: SendWindow,
    /// Configuration handed to the policy plugin as JSON text.
    pub plugin_config: String,
    /// The tenant's currency, ISO 4217.
    pub currency: String,
    /// Limits on each call into the tenant's plugin, set by the operator.
    #[serde(default)]
    pub limits: PluginLimits,
    /// IANA time zone of customers whose own zone is unknown (a Stripe
    /// customer without a zone in its metadata or a one-zone country).
    #[serde(default = "default_time_zone")]
    pub default_time_zone: String,
    /// Experiments the tenant runs: arms and weights, the step each applies
    /// to, and when it runs. An experiment of the same name declared by the
    /// plugin takes its arms and weights from here.
    #[serde(default)]
    pub experiments: Vec<Experiment>,
    /// How many notices one customer may get, across all of their invoices.
    #[serde(default)]
    pub frequency_caps: FrequencyCaps,
    /// What happens to a notice whose send time passed while the host was
    /// down (or far behind).
    #[serde(default)]
    pub missed_sends: MissedSends,
    /// The locale of the templates used when none matches the customer's
    /// language (a BCP 47 tag). Default `en`.
    #[serde(default = "default_fallback_locale")]
    pub fallback_locale: String,
}

/// Most notices one customer receives in a rolling day and a rolling week,
/// over all of their invoices, automatic, fallback and manual sends alike.
/// A notice over a cap waits until the cap allows it; notices of several
/// invoices due together go out as one combined notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCaps {
    /// Notices in any 24 hours. Default 1.
    pub per_day: u32,
    /// Notices in any 7 × 24 hours. Default 3.
    pub per_week: u32,
}

impl Default for FrequencyCaps {
    fn default() -> Self {
        Self { per_day: 1, per_week: 3 }
    }
}

impl FrequencyCaps {
    /// Checks that the caps allow at least one notice and hold together.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| Err(Error::Invalid(format!("frequency caps: {why}")));
        if !(1..=24).contains(&self.per_day) {
            return bad(format!("per_day must be 1 to 24, is {}", self.per_day));
        }
        if !(self.per_day..=7 * self.per_day).contains(&self.per_week) {
            return bad(format!(
                "per_week must be from per_day ({}) to 7 × per_day ({}), is {}",
                self.per_day,
                7 * self.per_day,
                self.per_week
            ));
        }
        Ok(())
    }
}

/// The tenant's rule for a notice found due long after its send time
/// (the host was down or stalled): send it late, once, or skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedSends {
    /// What to do with a notice more than `grace_minutes` late.
    pub policy: MissedSendPolicy,
    /// How late a notice may be and still count as on time. Default 60.
    pub grace_minutes: u32,
}

impl Default for MissedSends {
    fn default() -> Self {
        Self { policy: MissedSendPolicy::SendLate, grace_minutes: 60 }
    }
}

/// See [`MissedSends`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissedSendPolicy {
    /// Send it as soon as the host catches up (still within quiet hours
    /// and caps), once.
    SendLate,
    /// Record it as suppressed (`missed`) and let the policy decide what
    /// comes next.
    Skip,
}

/// An experiment a tenant defines: which arm each customer is in is
/// decided by the host, deterministically, in proportion to the weights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Its name, as the plugin sees it in `context.experiments`.
    pub name: String,
    /// Its arms; the first is the control unless one is named `control`.
    pub arms: Vec<Arm>,
    /// The step whose notices it applies to; `None` for every step.
    #[serde(default)]
    pub step: Option<String>,
    /// When it starts; `None` for as soon as it is defined.
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// When it stops; `None` for never.
    #[serde(default)]
    pub stop: Option<Timestamp>,
}

/// One arm of an [`Experiment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// The arm's name.
    pub name: String,
    /// Its share of customers, relative to the other arms' weights.
    pub weight: u32,
}

impl Experiment {
    /// Checks names, weights and dates, saying what is wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| Err(Error::Invalid(format!("experiment {:?}: {why}", self.name)));
        let name_ok = |s: &str| {
            !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !name_ok(&self.name) {
            return bad("the name must be 1 to 64 letters, digits, '-', '_' or '.'".into());
        }
        if self.arms.len() < 2 || self.arms.len() > 16 {
            return bad(format!("needs 2 to 16 arms, has {}", self.arms.len()));
        }
        for (i, arm) in self.arms.iter().enumerate() {
            if !name_ok(&arm.name) {
                return bad(format!("arm {:?}: the name must be 1 to 64 letters, digits, '-', '_' or '.'", arm.name));
            }
            if self.arms[..i].iter().any(|a| a.name == arm.name) {
                return bad(format!("arm {:?} is listed twice", arm.name));
            }
            if arm.weight == 0 || arm.weight > 10_000 {
                return bad(format!("arm {:?}: weight must be 1 to 10000, is {}", arm.name, arm.weight));
            }
        }
        if let (Some(start), Some(stop)) = (self.start, self.stop)
            && stop <= start
        {
            return bad(format!("stop {stop} is not after start {start}"));
        }
        if self.step.as_ref().is_some_and(|s| s.is_empty() || s.len() > 64) {
            return bad("the step must be 1 to 64 bytes".into());
        }
        Ok(())
    }

    /// True while it runs at `now`: on or after its start, before its stop.
    pub fn runs_at(&self, now: Timestamp) -> bool {
        self.start.is_none_or(|s| now >= s) && self.stop.is_none_or(|s| now < s)
    }
}

fn default_time_zone() -> String {
    "UTC".to_string()
}

fn default_fallback_locale() -> String {
    "en".to_string()
}

impl TenantSettings {
    /// Checks the settings a tenant or operator can set, saying what is wrong.
    pub fn validate(&self) -> Result<()> {
        SendWindow::new(self.send_window.start_hour, self.send_window.end_hour)?;
        self.frequency_caps.validate()?;
        self.missed_sends.validate()?;
        for experiment in &self.experiments {
            experiment.validate()?;
        }
        if crate::locale::normalise(&self.fallback_locale).as_deref() != Some(self.fallback_locale.as_str()) {
            return Err(Error::Invalid(format!(
                "fallback_locale: {:?} is not a normalised language tag such as \"en\" or \"de-CH\"",
                self.fallback_locale
            )));
        }
        Ok(())
    }
}

impl MissedSends {
    /// Checks that the grace period is at most a week.
    pub fn validate(&self) -> Result<()> {
        if self.grace_minutes > 7 * 24 * 60 {
            return Err(Error::Invalid(format!(
                "missed sends: grace_minutes must be at most 10080 (a week), is {}",
                self.grace_minutes
            )));
        }
        Ok(())
    }
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            send_window: SendWindow::default(),
            plugin_config: "{}".to_string(),
            currency: "USD".to_string(),
            limits: PluginLimits::default(),
            default_time_zone: default_time_zone(),
            experiments: Vec::new(),
            frequency_caps: FrequencyCaps::default(),
            missed_sends: MissedSends::default(),
            fallback_locale: default_fallback_locale(),
        }
    }
}

/// The local hours `[start, end)` in which a customer may receive notices.
///
/// Outside of it are quiet hours: a send that falls there moves to the next
/// allowed time in the customer's time zone, never earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendWindow {
    /// First allowed local hour, 0 to 23.
    pub start_hour: u8,
    /// First local hour no longer allowed, 1 to 24, greater than `start_hour`.
    pub end_hour: u8,
}

impl Default for SendWindow {
    /// 08:00 to 20:00 local time.
    fn default() -> Self {
        Self { start_hour: 8, end_hour: 20 }
    }
}

impl SendWindow {
    /// Builds a window, rejecting empty or out-of-range hours.
    pub fn new(start_hour: u8, end_hour: u8) -> Result<Self> {
        let reason = if start_hour > 23 {
            Some("start hour must be 0 to 23")
        } else if end_hour > 24 || end_hour == 0 {
            Some("end hour must be 1 to 24")
        } else if end_hour <= start_hour {
            Some("end hour must come after start hour on the same day")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::SendWindow { start: start_hour, end: end_hour, reason }),
            None => Ok(Self { start_hour, end_hour }),
        }
    }

    /// True when `at` falls inside the window in zone `tz`.
    pub fn allows(&self, at: Timestamp, tz: &TimeZone) -> bool {
        let hour = at.to_zoned(tz.clone()).hour();
        (self.start_hour as i8..self.end_hour as i8).contains(&hour)
    }

    /// The earliest time at or after `at` that falls inside the window in `tz`.
    pub fn next_allowed(&self, at: Timestamp, tz: &TimeZone) -> Timestamp {
        crate::time::next_allowed(*self, at, tz)
    }
}
