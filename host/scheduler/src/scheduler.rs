//! The scheduler: owns the store, the runtime and delivery, and runs what is due.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use jiff::Timestamp;
use nudge_core::{Channel, Tenant, TenantId};
use nudge_delivery::{Outbox, Sink, tracking::Tracker};
use nudge_runtime::{Plugin, Runtime};
use nudge_store::{ScheduleKind, Store};

use crate::{Result, breaker::Breaker};

/// How the scheduler is set up.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Where the outbox writes one file per notice.
    pub outbox_dir: PathBuf,
    /// Calls in the circuit breaker's window, per plugin version.
    pub breaker_window: usize,
    /// Failures within the window that switch a plugin version off.
    pub breaker_threshold: usize,
    /// Where messages are delivered; `None` is the outbox in `outbox_dir`.
    pub sink: Option<Arc<dyn Sink>>,
}

impl SchedulerConfig {
    /// Defaults with the outbox in `outbox_dir`: the breaker trips at 10
    /// failures among a version's last 20 calls.
    pub fn new(outbox_dir: impl Into<PathBuf>) -> Self {
        Self { outbox_dir: outbox_dir.into(), breaker_window: 20, breaker_threshold: 10, sink: None }
    }

    /// The same, delivering through `sink` instead of the outbox (the
    /// outbox directory is still where privacy exports and erasure look).
    pub fn with_sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sink = Some(sink);
        self
    }
}

/// Evaluates invoices, schedules notices and sends them when due.
pub struct Scheduler {
    pub(crate) store: Store,
    pub(crate) runtime: Runtime,
    pub(crate) outbox: Outbox,
    /// Where messages go: the outbox unless the configuration names a sink.
    pub(crate) sink: Arc<dyn Sink>,
    /// Compiled plugin versions, by tenant and version.
    pub(crate) plugins: Mutex<HashMap<(TenantId, u32), Plugin>>,
    pub(crate) breaker: Mutex<Breaker>,
    /// Analytics ledgers, by tenant, brought up to date on each report.
    pub(crate) ledgers: Mutex<crate::analytics::Ledgers>,
    /// Signs tracking links, once [`Scheduler::enable_tracking`] was called.
    pub(crate) tracker: RwLock<Option<Tracker>>,
    /// Failed delivery attempts, by channel (in [`Channel::ALL`] order).
    pub(crate) delivery_errors: [AtomicU64; 4],
    /// Held while due notices are sent, so that a manual send and the tick
    /// loop never deliver the same notice at once.
    pub(crate) sending: Mutex<()>,
    /// Predictive signals' state, by tenant, brought up to date on each decision.
    pub(crate) predictors: Mutex<crate::signals::Predictors>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").field("outbox", &self.outbox).finish_non_exhaustive()
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it:
/// both guarded maps stay consistent between statements.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Scheduler {
    /// A scheduler over `store`, running plugins on `runtime`.
    pub fn new(store: Store, runtime: Runtime, config: SchedulerConfig) -> Self {
        let outbox = Outbox::new(config.outbox_dir);
        let sink = config.sink.unwrap_or_else(|| Arc::new(outbox.clone()));
        Self {
            store,
            runtime,
            outbox,
            sink,
            plugins: Mutex::new(HashMap::new()),
            breaker: Mutex::new(Breaker::new(config.breaker_window, config.breaker_threshold)),
            ledgers: Mutex::new(HashMap::new()),
            tracker: RwLock::new(None),
            delivery_errors: Default::default(),
            sending: Mutex::new(()),
            predictors: Mutex::new(HashMap::new()),
        }
    }

    /// Turns tracking links on: links start with `base_url` (as customers
    /// reach the server) and are signed with the store's tracking key, made
    /// on first use. Messages sent from now on carry them.
    pub fn enable_tracking(&self, base_url: &str) -> Result<Tracker> {
        let tracker = Tracker::new(base_url, self.store.tracking_key()?)?;
        *self.tracker.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tracker.clone());
        Ok(tracker)
    }

    /// The tracker that signs and checks tracking links, if tracking is on
    /// (`nudge serve` turns it on; replays and the demo leave it off).
    pub fn tracker(&self) -> Option<Tracker> {
        self.tracker.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Counts one failed delivery attempt on `channel`.
    pub(crate) fn count_delivery_error(&self, channel: Channel) {
        if let Some(i) = Channel::ALL.iter().position(|c| *c == channel) {
            self.delivery_errors[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Failed delivery attempts since start, by channel (every channel listed).
    pub fn delivery_errors(&self) -> Vec<(Channel, u64)> {
        Channel::ALL.iter().zip(&self.delivery_errors).map(|(c, n)| (*c, n.load(Ordering::Relaxed))).collect()
    }

    /// The tenant and the customer of an invoice, which must both exist.
    pub(crate) fn parties(&self, invoice: &nudge_core::Invoice) -> Result<(Tenant, nudge_core::Customer)> {
        let tenant =
            self.store.tenant(&invoice.tenant)?.ok_or_else(|| crate::Error::UnknownTenant(invoice.tenant.clone()))?;
        let customer = self.store.customer(&invoice.tenant, &invoice.customer)?.ok_or_else(|| {
            crate::Error::UnknownCustomer { invoice: invoice.id.clone(), customer: invoice.customer.to_string() }
        })?;
        Ok((tenant, customer))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The plugin runtime, with its metrics.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Creates or updates a tenant, after checking its settings.
    pub fn put_tenant(&self, tenant: &Tenant) -> Result<()> {
        tenant.settings.validate()?;
        self.store.transact(|tx| tx.put_tenant(tenant))?;
        Ok(())
    }

    /// Runs everything due up to `until` on a virtual clock: each entry runs
    /// at its own due time, as it would have live. Returns how many ran.
    pub fn advance_to(&self, until: Timestamp) -> Result<usize> {
        let mut ran = 0;
        while let Some(due) = self.next_due()?.filter(|due| *due <= until) {
            ran += self.run_due(due)?;
        }
        Ok(ran)
    }

    /// When the next schedule entry is due, if any.
    pub fn next_due(&self) -> Result<Option<Timestamp>> {
        Ok(self.store.next_due()?.map(|e| e.due))
    }

    /// Runs every schedule entry due at or before `now`, as of `now`; returns how many ran.
    pub fn run_due(&self, now: Timestamp) -> Result<usize> {
        let mut ran = 0;
        loop {
            let batch = self.store.due_entries(now, 256)?;
            if batch.is_empty() {
                return Ok(ran);
            }
            // Sends go last, together, so one customer's notices due at once
            // become one message.
            let mut sends = Vec::new();
            for entry in batch {
                match &entry.kind {
                    ScheduleKind::Evaluate => self.evaluate(&entry.tenant, &entry.invoice, now, Some(&entry))?,
                    ScheduleKind::Send { step } => sends.push((entry.clone(), step.clone())),
                }
                ran += 1;
            }
            self.send_all(&sends, now)?;
        }
    }
}
