//! A tenant's history replayed through one policy on a virtual clock: what
//! `nudge demo` and `nudge plugin simulate` share.
//!
//! The replay itself lives in [`nudge_scheduler::simulate`], which the
//! server's `POST /v1/plugins/{version}/simulate` shares; this module reads
//! the files.

use std::{fs, path::Path};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use nudge_core::{Tenant, TenantId};
use nudge_ingest::{History, ar, json};
use nudge_scheduler::{Scheduler, replay::FeedItem, simulate};
use nudge_store::PluginRecord;

/// Largest history file the commands read: 256 MiB.
pub const MAX_HISTORY_BYTES: u64 = 256 << 20;

/// Reads a history file for `tenant`: the nudge JSON format when the name
/// ends in `.json`, else the accounts-receivable CSV that `nudge import` reads.
pub fn read(path: &Path, tenant: &TenantId) -> Result<History> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let bytes = crate::output::read_capped(path, MAX_HISTORY_BYTES)?;
        let text = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))?;
        return json::read(&text, tenant).with_context(|| format!("reading {}", path.display()));
    }
    let file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let data = ar::read(crate::output::Capped::new(file, MAX_HISTORY_BYTES), tenant).with_context(|| {
        format!("reading {} as an accounts-receivable CSV (name a JSON file *.json)", path.display())
    })?;
    Ok(data.into_history()?)
}

/// Invoices as they were issued and payments as they arrived, for
/// [`nudge_scheduler::replay::run`].
pub fn feed(history: &History) -> Vec<(Timestamp, FeedItem)> {
    simulate::feed(history)
}

/// Creates `tenant` in the scheduler's (empty) store, installs `plugin` as
/// its active version at `from`, adds the customers and replays the history
/// up to `until` ([`nudge_scheduler::simulate::replay`]). Returns the
/// installed plugin version.
pub fn replay(
    scheduler: &Scheduler,
    tenant: &Tenant,
    plugin: &[u8],
    history: &History,
    window: (Timestamp, Timestamp),
) -> Result<PluginRecord> {
    if history.invoices.is_empty() {
        bail!("the history has no invoices to replay");
    }
    simulate::replay(scheduler, tenant, plugin, history, window).map_err(|e| match e {
        // The reason belongs in the message itself, not only in the error chain.
        nudge_scheduler::Error::Plugin(e) => anyhow::anyhow!("the policy was not accepted: {e}"),
        other => other.into(),
    })
}

/// "standard 1.0.0 (version 1, sha256 a72050f5cc72)".
pub fn plugin_label(plugin: &PluginRecord) -> String {
    simulate::plugin_label(plugin)
}

/// The day of `at` in UTC, as `YYYY-MM-DD`.
pub fn utc_day(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}
