//! Small markers in the meta tree: external events already processed, the
//! newest external change applied to a record, and erased customers.
//!
//! Each is keyed by a kind, then the tenant, then the id, so one tenant's
//! markers never collide with another's.

use nudge_core::{CustomerId, TenantId};

use crate::{
    Result, Store,
    codec::key,
    store::T,
    tx::{Tx, TxResult},
};

fn processed_key(tenant: &TenantId, source: &str, event: &str) -> Vec<u8> {
    key(&[b"external-event", source.as_bytes(), tenant.as_str().as_bytes(), event.as_bytes()])
}

fn watermark_key(tenant: &TenantId, source: &str, record: &str) -> Vec<u8> {
    key(&[b"external-watermark", source.as_bytes(), tenant.as_str().as_bytes(), record.as_bytes()])
}

fn erased_key(tenant: &TenantId, customer: &CustomerId) -> Vec<u8> {
    key(&[b"erased-customer", tenant.as_str().as_bytes(), customer.as_str().as_bytes()])
}

fn erased_quiet_key(tenant: &TenantId) -> Vec<u8> {
    key(&[b"erased-quiet-sends", tenant.as_str().as_bytes()])
}

fn read_i64(bytes: &[u8]) -> Option<i64> {
    bytes.try_into().ok().map(i64::from_be_bytes)
}

impl Tx<'_> {
    /// Records that `event` from `source` ("stripe") was processed for
    /// `tenant`; false (and nothing written) when it had been already.
    pub fn claim_external_event(&mut self, tenant: &TenantId, source: &str, event: &str) -> TxResult<bool> {
        let k = processed_key(tenant, source, event);
        if self.tree(T::Meta).get(&k)?.is_some() {
            return Ok(false);
        }
        self.tree(T::Meta).insert(k, &[1u8][..])?;
        Ok(true)
    }

    /// The creation time (Unix seconds) of the newest external change from
    /// `source` applied to `record` ("invoice:in_1", "customer:cus_1").
    pub fn external_watermark(&self, tenant: &TenantId, source: &str, record: &str) -> TxResult<Option<i64>> {
        Ok(self.tree(T::Meta).get(watermark_key(tenant, source, record))?.and_then(|v| read_i64(&v)))
    }

    /// Sets the watermark of `record`, never moving it back.
    pub fn raise_external_watermark(&mut self, tenant: &TenantId, source: &str, record: &str, at: i64) -> TxResult<()> {
        let current = self.external_watermark(tenant, source, record)?;
        if current.is_none_or(|c| c < at) {
            self.tree(T::Meta).insert(watermark_key(tenant, source, record), &at.to_be_bytes()[..])?;
        }
        Ok(())
    }

    /// Marks a customer as erased: no import may bring its personal data back.
    pub fn mark_erased(&mut self, tenant: &TenantId, customer: &CustomerId) -> TxResult<()> {
        self.tree(T::Meta).insert(erased_key(tenant, customer), &[1u8][..])?;
        Ok(())
    }

    /// True when the customer was erased.
    pub fn is_erased(&self, tenant: &TenantId, customer: &CustomerId) -> TxResult<bool> {
        Ok(self.tree(T::Meta).get(erased_key(tenant, customer))?.is_some())
    }

    /// Adds to the tenant's count of notices sent in quiet hours to customers
    /// since erased (their time zone is gone, the count stays).
    pub fn add_erased_quiet_sends(&mut self, tenant: &TenantId, n: u64) -> TxResult<()> {
        let k = erased_quiet_key(tenant);
        let current = self.tree(T::Meta).get(&k)?.and_then(|v| read_i64(&v)).unwrap_or(0);
        let next = current.saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
        self.tree(T::Meta).insert(k, &next.to_be_bytes()[..])?;
        Ok(())
    }
}

impl Store {
    /// True when the customer was erased.
    pub fn is_erased(&self, tenant: &TenantId, customer: &CustomerId) -> Result<bool> {
        Ok(self.tree(T::Meta).get(erased_key(tenant, customer))?.is_some())
    }

    /// Notices sent in quiet hours to customers since erased, for the summary.
    pub fn erased_quiet_sends(&self, tenant: &TenantId) -> Result<u64> {
        let v = self.tree(T::Meta).get(erased_quiet_key(tenant))?.and_then(|v| read_i64(&v)).unwrap_or(0);
        Ok(u64::try_from(v).unwrap_or(0))
    }

    /// True when `event` from `source` was processed for `tenant`.
    pub fn external_event_processed(&self, tenant: &TenantId, source: &str, event: &str) -> Result<bool> {
        Ok(self.tree(T::Meta).get(processed_key(tenant, source, event))?.is_some())
    }
}
