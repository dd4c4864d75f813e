//! Tenants' message templates, keyed by tenant, name, channel and locale.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use nudge_core::{Channel, TenantId};

use crate::{
    Result, Store,
    codec::{decode, key},
    store::T,
    tx::{Tx, TxResult},
};

/// One template of a tenant, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRecord {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// A tone (the tone's default) or the id a policy names.
    pub name: String,
    /// The channel it renders for.
    pub channel: Channel,
    /// Its locale, a normalised BCP 47 tag.
    pub locale: String,
    /// Subject source (email only).
    pub subject: Option<String>,
    /// Plain-text body source.
    pub body: String,
    /// HTML body source (email only).
    pub html: Option<String>,
    /// Policy fields it reads besides the host's.
    pub fields: Vec<String>,
    /// 1 for the first upload, one more for each replacement.
    pub revision: u32,
    /// When this revision was uploaded.
    pub updated_at: Timestamp,
}

/// The key of a template: tenant, name, channel, locale.
fn template_key(tenant: &TenantId, name: &str, channel: Channel, locale: &str) -> Vec<u8> {
    key(&[tenant.as_str().as_bytes(), name.as_bytes(), channel.as_str().as_bytes(), locale.as_bytes()])
}

impl Store {
    /// One template, if the tenant has it.
    pub fn template(
        &self,
        tenant: &TenantId,
        name: &str,
        channel: Channel,
        locale: &str,
    ) -> Result<Option<TemplateRecord>> {
        self.tree(T::Templates).get(template_key(tenant, name, channel, locale))?.map(|v| decode(&v)).transpose()
    }

    /// Every template of a tenant, by name, channel and locale.
    pub fn templates(&self, tenant: &TenantId) -> Result<Vec<TemplateRecord>> {
        self.tree(T::Templates).scan_prefix(key(&[tenant.as_str().as_bytes()])).map(|kv| decode(&kv?.1)).collect()
    }

    /// True when the tenant has a template named `name` on any channel and locale.
    pub fn has_template_named(&self, tenant: &TenantId, name: &str) -> Result<bool> {
        let prefix = key(&[tenant.as_str().as_bytes(), name.as_bytes()]);
        Ok(self.tree(T::Templates).scan_prefix(prefix).next().transpose()?.is_some())
    }

    /// How many templates the tenant has.
    pub fn template_count(&self, tenant: &TenantId) -> Result<usize> {
        Ok(self.tree(T::Templates).scan_prefix(key(&[tenant.as_str().as_bytes()])).count())
    }
}

impl Tx<'_> {
    /// Stores a template, replacing the one with the same key; its revision
    /// is one more than the one it replaces (1 for a new one).
    pub fn put_template(&mut self, mut record: TemplateRecord) -> TxResult<TemplateRecord> {
        let k = template_key(&record.tenant, &record.name, record.channel, &record.locale);
        let before: Option<TemplateRecord> = match self.tree(T::Templates).get(&k)? {
            Some(v) => Some(decode(&v).map_err(sled::transaction::ConflictableTransactionError::Abort)?),
            None => None,
        };
        record.revision = before.map_or(1, |b| b.revision.saturating_add(1));
        self.put_record(T::Templates, k, &record)?;
        Ok(record)
    }

    /// Removes a template; true if it was there.
    pub fn delete_template(&mut self, tenant: &TenantId, name: &str, channel: Channel, locale: &str) -> TxResult<bool> {
        Ok(self.tree(T::Templates).remove(template_key(tenant, name, channel, locale))?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(tenant: &str, name: &str, locale: &str) -> TemplateRecord {
        TemplateRecord {
            tenant: TenantId::new(tenant).unwrap(),
            name: name.into(),
            channel: Channel::Sms,
            locale: locale.into(),
            subject: None,
            body: "Hi {{ customer_name }}".into(),
            html: None,
            fields: Vec::new(),
            revision: 0,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn templates_are_per_tenant_revised_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let acme = TenantId::new("acme").unwrap();
        assert_eq!(store.transact(|tx| tx.put_template(record("acme", "firm", "de"))).unwrap().revision, 1);
        assert_eq!(store.transact(|tx| tx.put_template(record("acme", "firm", "de"))).unwrap().revision, 2);
        store.transact(|tx| tx.put_template(record("acme", "firm-x", "en"))).unwrap();
        store.transact(|tx| tx.put_template(record("acme2", "firm", "de"))).unwrap();
        assert_eq!(store.templates(&acme).unwrap().len(), 2);
        assert_eq!(store.template(&acme, "firm", Channel::Sms, "de").unwrap().unwrap().revision, 2);
        assert!(store.template(&acme, "firm", Channel::Email, "de").unwrap().is_none());
        assert!(store.has_template_named(&acme, "firm").unwrap());
        assert!(!store.has_template_named(&acme, "fir").unwrap(), "a name is not a prefix of another");
        assert!(store.transact(|tx| tx.delete_template(&acme, "firm", Channel::Sms, "de")).unwrap());
        assert!(!store.transact(|tx| tx.delete_template(&acme, "firm", Channel::Sms, "de")).unwrap());
        assert_eq!(store.template_count(&acme).unwrap(), 1);
        assert_eq!(store.template_count(&TenantId::new("acme2").unwrap()).unwrap(), 1);
    }
}
