//! The send log: every notice delivered to a customer, by customer and time,
//! so frequency caps can count a customer's recent notices across all of
//! their invoices without scanning every notice of the tenant.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use nudge_core::{Channel, CustomerId, InvoiceId, NoticeId, TenantId};

use crate::{
    Result, Store,
    codec::{decode, key},
    schedule::time_prefix,
    store::T,
    tx::{Tx, TxResult},
};

/// One message delivered to a customer. A combined notice covering several
/// invoices is one message and so one record (under its primary notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// Who received it.
    pub customer: CustomerId,
    /// The notice delivered (the primary one, for a combined notice).
    pub notice: NoticeId,
    /// Its invoice.
    pub invoice: InvoiceId,
    /// When it was handed to the channel.
    pub at: Timestamp,
    /// The channel used.
    pub channel: Channel,
    /// Notices of other invoices it carried (a combined notice).
    #[serde(default)]
    pub combined: Vec<NoticeId>,
}

fn customer_prefix(tenant: &TenantId, customer: &CustomerId) -> Vec<u8> {
    key(&[tenant.as_str().as_bytes(), customer.as_str().as_bytes()])
}

impl SendRecord {
    /// Key: tenant, customer, then the send time (seconds, sortable), then the notice.
    fn key(&self) -> Vec<u8> {
        let mut k = customer_prefix(&self.tenant, &self.customer);
        k.extend_from_slice(&time_prefix(self.at));
        k.extend_from_slice(self.notice.as_str().as_bytes());
        k
    }
}

impl Tx<'_> {
    /// Adds a delivered message to its customer's send log.
    pub fn record_send(&mut self, send: &SendRecord) -> TxResult<()> {
        self.put_record(T::Sends, send.key(), send)
    }
}

impl Store {
    /// The messages delivered to `customer` at or after `since`, oldest first.
    pub fn sends_since(&self, tenant: &TenantId, customer: &CustomerId, since: Timestamp) -> Result<Vec<SendRecord>> {
        let prefix = customer_prefix(tenant, customer);
        let mut start = prefix.clone();
        start.extend_from_slice(&time_prefix(since));
        self.tree(T::Sends)
            .range(start..)
            .take_while(|kv| kv.as_ref().map_or(true, |(k, _)| k.starts_with(&prefix)))
            .map(|kv| decode(&kv?.1))
            .collect()
    }

    /// Removes every record of `customer` from the send log (erasure).
    pub fn forget_sends(&self, tenant: &TenantId, customer: &CustomerId) -> Result<usize> {
        let tree = self.tree(T::Sends);
        let keys: Vec<_> = tree.scan_prefix(customer_prefix(tenant, customer)).keys().collect::<Result<_, _>>()?;
        for k in &keys {
            tree.remove(k)?;
        }
        Ok(keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(customer: &str, at: i64, invoice: &str) -> SendRecord {
        let (tenant, invoice) = (TenantId::new("acme").unwrap(), InvoiceId::new(invoice).unwrap());
        SendRecord {
            notice: NoticeId::derive(&tenant, &invoice, "overdue-1"),
            tenant,
            customer: CustomerId::new(customer).unwrap(),
            invoice,
            at: Timestamp::from_second(at).unwrap(),
            channel: Channel::Email,
            combined: Vec::new(),
        }
    }

    #[test]
    fn a_customers_sends_come_back_in_time_order_from_the_start_and_no_one_elses() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for s in [
            send("c1", 300, "n3"),
            send("c1", 100, "n1"),
            send("c1", 200, "n2"),
            send("c10", 150, "x"),
            send("c2", 250, "y"),
        ] {
            store.transact(|tx| tx.record_send(&s)).unwrap();
        }
        let tenant = TenantId::new("acme").unwrap();
        let c1 = CustomerId::new("c1").unwrap();
        let all = store.sends_since(&tenant, &c1, Timestamp::from_second(0).unwrap()).unwrap();
        assert_eq!(all.iter().map(|s| s.invoice.as_str()).collect::<Vec<_>>(), ["n1", "n2", "n3"]);
        let recent = store.sends_since(&tenant, &c1, Timestamp::from_second(200).unwrap()).unwrap();
        assert_eq!(recent.iter().map(|s| s.invoice.as_str()).collect::<Vec<_>>(), ["n2", "n3"]);
        assert_eq!(store.forget_sends(&tenant, &c1).unwrap(), 3);
        assert!(store.sends_since(&tenant, &c1, Timestamp::from_second(0).unwrap()).unwrap().is_empty());
        let c10 = CustomerId::new("c10").unwrap();
        assert_eq!(store.sends_since(&tenant, &c10, Timestamp::from_second(0).unwrap()).unwrap().len(), 1);
    }
}
