//! What the HTTP service keeps: tenants' API keys (hashed, never the key
//! itself) and the responses of `Idempotency-Key` requests.
//!
//! Both live in the meta tree under their own key prefixes, as versioned
//! records like every other.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;

use nudge_core::TenantId;

use crate::{
    Result, Store,
    codec::{decode, encode, key},
    store::T,
    tx::{Tx, TxResult},
};

/// One API key of a tenant, as stored: the sha256 of the key, not the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The key's public id (the part of the key before its secret).
    pub id: String,
    /// The tenant the key acts for.
    pub tenant: TenantId,
    /// sha256 of the whole key, hex.
    pub sha256: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

/// The response given to a request carrying an `Idempotency-Key`, replayed
/// when the same key comes again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The tenant that sent the request.
    pub tenant: TenantId,
    /// The client's key.
    pub key: String,
    /// sha256 of method, path and body, hex: the same key with another
    /// request is a conflict, not a replay.
    pub request_sha256: String,
    /// The HTTP status given.
    pub status: u16,
    /// The response body given.
    pub body: String,
    /// When the first response was given.
    pub created_at: Timestamp,
}

/// A tenant's Stripe webhook endpoint secrets (`whsec_...`). Kept as they
/// are: verifying a signature needs the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecretsRecord {
    /// The tenant whose endpoint they sign for.
    pub tenant: TenantId,
    /// The secrets accepted now (two while rotating).
    pub secrets: Vec<String>,
    /// When they were set.
    pub updated_at: Timestamp,
}

/// Where the tracking key lives: one per host, not per tenant.
const TRACKING_KEY: &[u8] = b"tracking-key\0";
/// The format version byte in front of the tracking key.
const TRACKING_KEY_VERSION: u8 = 1;

fn read_tracking_key(bytes: &[u8]) -> Result<[u8; 32]> {
    match bytes.split_first() {
        Some((&TRACKING_KEY_VERSION, key)) => key.try_into().map_err(|_| crate::Error::UnsupportedVersion {
            kind: "tracking key",
            found: TRACKING_KEY_VERSION,
            supported: TRACKING_KEY_VERSION,
        }),
        other => Err(crate::Error::UnsupportedVersion {
            kind: "tracking key",
            found: other.map_or(0, |(v, _)| *v),
            supported: TRACKING_KEY_VERSION,
        }),
    }
}

fn webhook_secrets_key(tenant: &TenantId) -> Vec<u8> {
    key(&[b"stripe-webhook-secrets", tenant.as_str().as_bytes()])
}

fn api_key_key(id: &str) -> Vec<u8> {
    key(&[b"api-key", id.as_bytes()])
}

fn idempotency_key(tenant: &TenantId, client_key: &str) -> Vec<u8> {
    key(&[b"idempotency", tenant.as_str().as_bytes(), client_key.as_bytes()])
}

impl Store {
    /// An API key by its id.
    pub fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>> {
        self.tree(T::Meta).get(api_key_key(id))?.map(|v| decode(&v)).transpose()
    }

    /// Every API key of a tenant, revoked ones included.
    pub fn api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKeyRecord>> {
        let mut out = Vec::new();
        for kv in self.tree(T::Meta).scan_prefix(key(&[b"api-key"])) {
            let record: ApiKeyRecord = decode(&kv?.1)?;
            if &record.tenant == tenant {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// The stored response for a tenant's idempotency key, if any.
    pub fn idempotent_response(&self, tenant: &TenantId, client_key: &str) -> Result<Option<IdempotencyRecord>> {
        self.tree(T::Meta).get(idempotency_key(tenant, client_key))?.map(|v| decode(&v)).transpose()
    }

    /// Stores the response for an idempotency key unless one is stored
    /// already; returns the one that was there (and writes nothing) if so.
    pub fn keep_idempotent_response(&self, record: &IdempotencyRecord) -> Result<Option<IdempotencyRecord>> {
        let k = idempotency_key(&record.tenant, &record.key);
        let swapped = self.tree(T::Meta).compare_and_swap(k, None as Option<&[u8]>, Some(encode(record)?))?;
        match swapped {
            Ok(()) => Ok(None),
            Err(current) => current.current.map(|v| decode(&v)).transpose(),
        }
    }
}

impl Store {
    /// The host's key for signing tracking links: 32 random bytes, made on
    /// first use and kept (flushed to disk at once, so that links already
    /// handed out keep working after a crash). Never logged.
    pub fn tracking_key(&self) -> Result<[u8; 32]> {
        if let Some(stored) = self.tree(T::Meta).get(TRACKING_KEY)? {
            return read_tracking_key(&stored);
        }
        let mut fresh = [0u8; 33];
        fresh[0] = TRACKING_KEY_VERSION;
        getrandom::fill(&mut fresh[1..]).map_err(|e| crate::Error::Random(e.to_string()))?;
        // Two first uses at once agree on whichever key was stored first.
        let swapped = self.tree(T::Meta).compare_and_swap(TRACKING_KEY, None as Option<&[u8]>, Some(&fresh[..]))?;
        let key = match swapped {
            Ok(()) => read_tracking_key(&fresh)?,
            Err(current) => read_tracking_key(current.current.as_deref().unwrap_or_default())?,
        };
        self.flush()?;
        Ok(key)
    }

    /// A tenant's Stripe webhook secrets, if it set any.
    pub fn webhook_secrets(&self, tenant: &TenantId) -> Result<Option<WebhookSecretsRecord>> {
        self.tree(T::Meta).get(webhook_secrets_key(tenant))?.map(|v| decode(&v)).transpose()
    }

    /// Sets a tenant's Stripe webhook secrets, replacing the ones before.
    pub fn put_webhook_secrets(&self, record: &WebhookSecretsRecord) -> Result<()> {
        self.tree(T::Meta).insert(webhook_secrets_key(&record.tenant), encode(record)?)?;
        Ok(())
    }
}

impl Tx<'_> {
    /// Creates or replaces an API key record.
    pub fn put_api_key(&mut self, record: &ApiKeyRecord) -> TxResult<()> {
        let value = encode(record).map_err(ConflictableTransactionError::Abort)?;
        self.tree(T::Meta).insert(api_key_key(&record.id), value)?;
        Ok(())
    }

    /// An API key by its id.
    pub fn api_key(&self, id: &str) -> TxResult<Option<ApiKeyRecord>> {
        match self.tree(T::Meta).get(api_key_key(id))? {
            Some(v) => Ok(Some(decode(&v).map_err(ConflictableTransactionError::Abort)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, status: u16) -> IdempotencyRecord {
        IdempotencyRecord {
            tenant: TenantId::new("acme").unwrap(),
            key: key.into(),
            request_sha256: "ab".into(),
            status,
            body: "{}".into(),
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn api_keys_are_found_by_id_and_listed_per_tenant() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key = |id: &str, tenant: &str| ApiKeyRecord {
            id: id.into(),
            tenant: TenantId::new(tenant).unwrap(),
            sha256: "00".into(),
            created_at: Timestamp::UNIX_EPOCH,
            revoked_at: None,
        };
        store.transact(|tx| tx.put_api_key(&key("k1", "acme"))).unwrap();
        store.transact(|tx| tx.put_api_key(&key("k2", "other"))).unwrap();
        assert_eq!(store.api_key("k1").unwrap().unwrap().tenant.as_str(), "acme");
        assert!(store.api_key("k3").unwrap().is_none());
        let acme = store.api_keys(&TenantId::new("acme").unwrap()).unwrap();
        assert_eq!(acme.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(), ["k1"]);
    }

    #[test]
    fn webhook_secrets_are_per_tenant_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let acme = TenantId::new("acme").unwrap();
        let set = |secrets: &[&str]| WebhookSecretsRecord {
            tenant: acme.clone(),
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
            updated_at: Timestamp::UNIX_EPOCH,
        };
        store.put_webhook_secrets(&set(&["whsec_a"])).unwrap();
        store.put_webhook_secrets(&set(&["whsec_b", "whsec_c"])).unwrap();
        assert_eq!(store.webhook_secrets(&acme).unwrap().unwrap().secrets, ["whsec_b", "whsec_c"]);
        assert!(store.webhook_secrets(&TenantId::new("other").unwrap()).unwrap().is_none());
    }

    #[test]
    fn the_tracking_key_is_made_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let first = {
            let store = Store::open(dir.path()).unwrap();
            let key = store.tracking_key().unwrap();
            assert_eq!(store.tracking_key().unwrap(), key);
            key
        };
        assert_ne!(first, [0u8; 32]);
        assert_eq!(Store::open(dir.path()).unwrap().tracking_key().unwrap(), first);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(Store::open(other.path()).unwrap().tracking_key().unwrap(), first, "random per host");
    }

    #[test]
    fn the_first_idempotent_response_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.keep_idempotent_response(&record("a", 201)).unwrap(), None);
        assert_eq!(store.keep_idempotent_response(&record("a", 500)).unwrap().unwrap().status, 201);
        let tenant = TenantId::new("acme").unwrap();
        assert_eq!(store.idempotent_response(&tenant, "a").unwrap().unwrap().status, 201);
        assert!(store.idempotent_response(&tenant, "b").unwrap().is_none());
    }
}
