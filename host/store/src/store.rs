//! Opening the store and reading from it.

use std::path::Path;

use jiff::Timestamp;
use sled::Tree;

use nudge_core::{Customer, CustomerId, Event, Incident, Invoice, InvoiceId, Notice, Payment, Tenant, TenantId};

use crate::{
    Error, PluginRecord, Record, Result, ScheduleEntry,
    codec::{decode, key},
    schedule::time_prefix,
    tx::{Tx, TxResult},
};

/// The schema tag written into every data directory.
const SCHEMA: &str = "nudge-store/1";

/// The trees of the store, in a fixed order (transactions span all of them).
#[derive(Debug, Clone, Copy)]
pub(crate) enum T {
    Tenants,
    Customers,
    Invoices,
    Payments,
    Plugins,
    PluginBytes,
    Notices,
    Schedule,
    Events,
    Incidents,
    Meta,
    Sends,
    Templates,
}

pub(crate) const TREES: [&str; 13] = [
    "tenants",
    "customers",
    "invoices",
    "payments",
    "plugins",
    "plugin-bytes",
    "notices",
    "schedule",
    "events",
    "incidents",
    "meta",
    "sends",
    "templates",
];

/// The sled-backed store of every tenant's data.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: sled::Db,
    pub(crate) trees: Vec<Tree>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let db = sled::Config::new().path(path).open()?;
        let trees = TREES.iter().map(|name| db.open_tree(name)).collect::<Result<Vec<_>, _>>()?;
        let meta = &trees[T::Meta as usize];
        match meta.get(b"schema")? {
            None => {
                meta.insert(b"schema", SCHEMA.as_bytes())?;
            }
            Some(found) if found.as_ref() == SCHEMA.as_bytes() => {}
            Some(found) => {
                return Err(Error::Schema {
                    path: path.display().to_string(),
                    found: String::from_utf8_lossy(&found).into_owned(),
                    expected: SCHEMA.to_string(),
                });
            }
        }
        Ok(Self { db, trees })
    }

    /// Runs `f` as one atomic transaction over every tree.
    ///
    /// `f` may run more than once when transactions conflict, so it must
    /// only read and write through `tx`.
    pub fn transact<R>(&self, f: impl Fn(&mut Tx<'_>) -> TxResult<R>) -> Result<R> {
        use sled::Transactional;
        Ok(self.trees.as_slice().transaction(|trees| f(&mut Tx::new(trees)))?)
    }

    /// Waits until everything written so far is on disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }

    pub(crate) fn tree(&self, t: T) -> &Tree {
        &self.trees[t as usize]
    }

    fn get<R: Record>(&self, t: T, key: &[u8]) -> Result<Option<R>> {
        self.tree(t).get(key)?.map(|v| decode(&v)).transpose()
    }

    fn scan<R: Record>(&self, t: T, prefix: &[u8]) -> Result<Vec<R>> {
        self.tree(t).scan_prefix(prefix).map(|kv| decode(&kv?.1)).collect()
    }

    /// A tenant.
    pub fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>> {
        self.get(T::Tenants, &key(&[id.as_str().as_bytes()]))
    }

    /// Every tenant.
    pub fn tenants(&self) -> Result<Vec<Tenant>> {
        self.scan(T::Tenants, b"")
    }

    /// A customer of a tenant.
    pub fn customer(&self, tenant: &TenantId, id: &CustomerId) -> Result<Option<Customer>> {
        self.get(T::Customers, &key(&[tenant.as_str().as_bytes(), id.as_str().as_bytes()]))
    }

    /// Every customer of a tenant.
    pub fn customers(&self, tenant: &TenantId) -> Result<Vec<Customer>> {
        self.scan(T::Customers, &key(&[tenant.as_str().as_bytes()]))
    }

    /// An invoice of a tenant.
    pub fn invoice(&self, tenant: &TenantId, id: &InvoiceId) -> Result<Option<Invoice>> {
        self.get(T::Invoices, &key(&[tenant.as_str().as_bytes(), id.as_str().as_bytes()]))
    }

    /// Every invoice of a tenant.
    pub fn invoices(&self, tenant: &TenantId) -> Result<Vec<Invoice>> {
        self.scan(T::Invoices, &key(&[tenant.as_str().as_bytes()]))
    }

    /// Every payment of a tenant.
    pub fn payments(&self, tenant: &TenantId) -> Result<Vec<Payment>> {
        self.scan(T::Payments, &key(&[tenant.as_str().as_bytes()]))
    }

    /// The notice for one step of an invoice.
    pub fn notice(&self, tenant: &TenantId, invoice: &InvoiceId, step: &str) -> Result<Option<Notice>> {
        self.get(T::Notices, &key(&[tenant.as_str().as_bytes(), invoice.as_str().as_bytes(), step.as_bytes()]))
    }

    /// Every notice of an invoice, ordered by step name.
    pub fn notices_for_invoice(&self, tenant: &TenantId, invoice: &InvoiceId) -> Result<Vec<Notice>> {
        self.scan(T::Notices, &key(&[tenant.as_str().as_bytes(), invoice.as_str().as_bytes()]))
    }

    /// Every notice of a tenant.
    pub fn notices(&self, tenant: &TenantId) -> Result<Vec<Notice>> {
        self.scan(T::Notices, &key(&[tenant.as_str().as_bytes()]))
    }

    /// A tenant's event log, oldest first.
    pub fn events(&self, tenant: &TenantId) -> Result<Vec<Event>> {
        self.scan(T::Events, &key(&[tenant.as_str().as_bytes()]))
    }

    /// A tenant's events with a sequence number of `from` or more, in order.
    pub fn events_from(&self, tenant: &TenantId, from: u64) -> Result<Vec<Event>> {
        let prefix = key(&[tenant.as_str().as_bytes()]);
        let mut start = prefix.clone();
        start.extend_from_slice(&from.to_be_bytes());
        let mut end = prefix;
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        self.tree(T::Events).range(start..=end).map(|kv| decode(&kv?.1)).collect()
    }

    /// A tenant's incidents, oldest first.
    pub fn incidents(&self, tenant: &TenantId) -> Result<Vec<Incident>> {
        self.scan(T::Incidents, &key(&[tenant.as_str().as_bytes()]))
    }

    /// One plugin version's metadata.
    pub fn plugin(&self, tenant: &TenantId, version: u32) -> Result<Option<PluginRecord>> {
        self.get(T::Plugins, &plugin_key(tenant, version))
    }

    /// One plugin version's component bytes.
    pub fn plugin_bytes(&self, tenant: &TenantId, version: u32) -> Result<Option<Vec<u8>>> {
        Ok(self.tree(T::PluginBytes).get(plugin_key(tenant, version))?.map(|v| v.to_vec()))
    }

    /// Every plugin version of a tenant, oldest first.
    pub fn plugins(&self, tenant: &TenantId) -> Result<Vec<PluginRecord>> {
        self.scan(T::Plugins, &key(&[tenant.as_str().as_bytes()]))
    }

    /// The version that decides for the tenant now, if any.
    pub fn active_plugin_version(&self, tenant: &TenantId) -> Result<Option<u32>> {
        Ok(self.tree(T::Meta).get(active_key(tenant))?.and_then(|v| read_u32(&v)))
    }

    /// The earliest schedule entry, if any.
    pub fn next_due(&self) -> Result<Option<ScheduleEntry>> {
        self.tree(T::Schedule).first()?.map(|(_, v)| decode(&v)).transpose()
    }

    /// Up to `limit` schedule entries due at or before `now`, earliest first.
    pub fn due_entries(&self, now: Timestamp, limit: usize) -> Result<Vec<ScheduleEntry>> {
        let end = u64::from_be_bytes(time_prefix(now)).saturating_add(1).to_be_bytes();
        self.tree(T::Schedule).range(..end.as_slice()).take(limit).map(|kv| decode(&kv?.1)).collect()
    }

    /// Number of entries in the schedule index.
    pub fn scheduled_len(&self) -> usize {
        self.tree(T::Schedule).len()
    }
}

pub(crate) fn plugin_key(tenant: &TenantId, version: u32) -> Vec<u8> {
    let mut k = key(&[tenant.as_str().as_bytes()]);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

pub(crate) fn active_key(tenant: &TenantId) -> Vec<u8> {
    key(&[b"active-plugin", tenant.as_str().as_bytes()])
}

pub(crate) fn read_u32(bytes: &[u8]) -> Option<u32> {
    bytes.try_into().ok().map(u32::from_be_bytes)
}
