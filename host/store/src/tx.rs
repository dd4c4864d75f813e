//! Typed writes inside one transaction.

use jiff::Timestamp;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use nudge_core::{
    Customer, CustomerId, Event, EventKind, Incident, Invoice, InvoiceId, Notice, Payment, Tenant, TenantId,
};

use crate::{
    Error, PluginRecord, Record, ScheduleEntry,
    codec::{decode, encode, key},
    store::{T, active_key, plugin_key, read_u32},
};

/// Result of a step inside a transaction; `?` works on store errors.
pub type TxResult<T> = Result<T, ConflictableTransactionError<Error>>;

/// One transaction over every tree of the store.
pub struct Tx<'a> {
    trees: &'a [TransactionalTree],
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

fn abort(err: Error) -> ConflictableTransactionError<Error> {
    ConflictableTransactionError::Abort(err)
}

impl<'a> Tx<'a> {
    pub(crate) fn new(trees: &'a [TransactionalTree]) -> Self {
        Self { trees }
    }

    pub(crate) fn tree(&self, t: T) -> &TransactionalTree {
        &self.trees[t as usize]
    }

    pub(crate) fn put_record<R: Record>(&self, t: T, key: Vec<u8>, record: &R) -> TxResult<()> {
        self.put(t, key, record)
    }

    fn put<R: Record>(&self, t: T, key: Vec<u8>, record: &R) -> TxResult<()> {
        self.tree(t).insert(key, encode(record).map_err(abort)?)?;
        Ok(())
    }

    fn get<R: Record>(&self, t: T, key: &[u8]) -> TxResult<Option<R>> {
        match self.tree(t).get(key)? {
            Some(v) => Ok(Some(decode(&v).map_err(abort)?)),
            None => Ok(None),
        }
    }

    /// Aborts the transaction with `err`; nothing it wrote is kept.
    pub fn fail<R>(&self, err: Error) -> TxResult<R> {
        Err(abort(err))
    }

    /// Creates or replaces a tenant.
    pub fn put_tenant(&mut self, tenant: &Tenant) -> TxResult<()> {
        self.put(T::Tenants, key(&[tenant.id.as_str().as_bytes()]), tenant)
    }

    /// Reads a tenant.
    pub fn tenant(&self, id: &TenantId) -> TxResult<Option<Tenant>> {
        self.get(T::Tenants, &key(&[id.as_str().as_bytes()]))
    }

    /// Creates or replaces a customer.
    pub fn put_customer(&mut self, customer: &Customer) -> TxResult<()> {
        self.put(T::Customers, key(&[customer.tenant.as_str().as_bytes(), customer.id.as_str().as_bytes()]), customer)
    }

    /// Reads a customer.
    pub fn customer(&self, tenant: &TenantId, id: &CustomerId) -> TxResult<Option<Customer>> {
        self.get(T::Customers, &key(&[tenant.as_str().as_bytes(), id.as_str().as_bytes()]))
    }

    /// Creates or replaces an invoice.
    pub fn put_invoice(&mut self, invoice: &Invoice) -> TxResult<()> {
        self.put(T::Invoices, key(&[invoice.tenant.as_str().as_bytes(), invoice.id.as_str().as_bytes()]), invoice)
    }

    /// Reads an invoice.
    pub fn invoice(&self, tenant: &TenantId, id: &InvoiceId) -> TxResult<Option<Invoice>> {
        self.get(T::Invoices, &key(&[tenant.as_str().as_bytes(), id.as_str().as_bytes()]))
    }

    /// Stores a payment; returns false (and writes nothing) if its id was already recorded.
    pub fn put_payment(&mut self, payment: &Payment) -> TxResult<bool> {
        let k = key(&[payment.tenant.as_str().as_bytes(), payment.id.as_str().as_bytes()]);
        if self.tree(T::Payments).get(&k)?.is_some() {
            return Ok(false);
        }
        self.put(T::Payments, k, payment)?;
        Ok(true)
    }

    /// Creates or replaces a notice.
    pub fn put_notice(&mut self, notice: &Notice) -> TxResult<()> {
        let k = key(&[notice.tenant.as_str().as_bytes(), notice.invoice.as_str().as_bytes(), notice.step.as_bytes()]);
        self.put(T::Notices, k, notice)
    }

    /// Reads the notice for one step of an invoice.
    pub fn notice(&self, tenant: &TenantId, invoice: &InvoiceId, step: &str) -> TxResult<Option<Notice>> {
        self.get(T::Notices, &key(&[tenant.as_str().as_bytes(), invoice.as_str().as_bytes(), step.as_bytes()]))
    }

    /// Adds an entry to the schedule index.
    pub fn schedule(&mut self, entry: &ScheduleEntry) -> TxResult<()> {
        self.put(T::Schedule, entry.key(), entry)
    }

    /// Removes an entry from the schedule index; true if it was there.
    pub fn unschedule(&mut self, entry: &ScheduleEntry) -> TxResult<bool> {
        Ok(self.tree(T::Schedule).remove(entry.key())?.is_some())
    }

    /// Appends to the tenant's event log; returns the event's sequence number.
    pub fn append_event(&mut self, tenant: &TenantId, at: Timestamp, kind: EventKind) -> TxResult<u64> {
        let seq = self.tree(T::Events).generate_id()?;
        let mut k = key(&[tenant.as_str().as_bytes()]);
        k.extend_from_slice(&seq.to_be_bytes());
        self.put(T::Events, k, &Event { seq, tenant: tenant.clone(), at, kind })?;
        Ok(seq)
    }

    /// Records an incident, and an event pointing at it.
    pub fn record_incident(&mut self, incident: &Incident) -> TxResult<()> {
        let seq = self.tree(T::Incidents).generate_id()?;
        let mut k = key(&[incident.tenant.as_str().as_bytes()]);
        k.extend_from_slice(&seq.to_be_bytes());
        self.put(T::Incidents, k, incident)?;
        self.append_event(
            &incident.tenant,
            incident.at,
            EventKind::Incident {
                invoice: incident.invoice.clone(),
                plugin_version: incident.plugin_version,
                kind: incident.kind,
            },
        )?;
        Ok(())
    }

    /// Stores a new plugin version; its number is the next one for the tenant.
    pub fn add_plugin(&mut self, mut record: PluginRecord, bytes: &[u8]) -> TxResult<PluginRecord> {
        let counter = key(&[b"plugin-seq", record.tenant.as_str().as_bytes()]);
        let last = self.tree(T::Meta).get(&counter)?.and_then(|v| read_u32(&v)).unwrap_or(0);
        record.version = last + 1;
        self.tree(T::Meta).insert(counter, &record.version.to_be_bytes())?;
        self.tree(T::PluginBytes).insert(plugin_key(&record.tenant, record.version), bytes)?;
        self.put(T::Plugins, plugin_key(&record.tenant, record.version), &record)?;
        self.append_event(
            &record.tenant,
            record.uploaded_at,
            EventKind::PluginUploaded { version: record.version, sha256: record.sha256.clone() },
        )?;
        Ok(record)
    }

    /// The version that decides for the tenant, as this transaction sees it.
    pub fn active_plugin_version(&self, tenant: &TenantId) -> TxResult<Option<u32>> {
        Ok(self.tree(T::Meta).get(active_key(tenant))?.and_then(|v| read_u32(&v)))
    }

    /// Makes `version` the tenant's active plugin; a version the circuit
    /// breaker switched off is switched on again by this explicit choice.
    pub fn activate_plugin(&mut self, tenant: &TenantId, version: u32, at: Timestamp) -> TxResult<()> {
        let k = plugin_key(tenant, version);
        let Some(mut record) = self.get::<PluginRecord>(T::Plugins, &k)? else {
            return self.fail(Error::NotFound { kind: "plugin version", id: format!("{tenant}/{version}") });
        };
        if record.disabled_reason.take().is_some() {
            self.put(T::Plugins, k, &record)?;
        }
        self.tree(T::Meta).insert(active_key(tenant), &version.to_be_bytes())?;
        self.append_event(tenant, at, EventKind::PluginActivated { version })?;
        Ok(())
    }

    /// Switches a plugin version off: it stops deciding and says why.
    pub fn disable_plugin(&mut self, tenant: &TenantId, version: u32, reason: &str, at: Timestamp) -> TxResult<()> {
        let k = plugin_key(tenant, version);
        let Some(mut record) = self.get::<PluginRecord>(T::Plugins, &k)? else {
            return self.fail(Error::NotFound { kind: "plugin version", id: format!("{tenant}/{version}") });
        };
        record.disabled_reason = Some(reason.to_string());
        self.put(T::Plugins, k, &record)?;
        let active = self.tree(T::Meta).get(active_key(tenant))?.and_then(|v| read_u32(&v));
        if active == Some(version) {
            self.tree(T::Meta).remove(active_key(tenant))?;
        }
        self.append_event(tenant, at, EventKind::PluginDisabled { version, reason: reason.to_string() })?;
        Ok(())
    }
}
