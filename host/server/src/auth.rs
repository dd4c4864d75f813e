//! Who is asking: the operator (a shared token) or a tenant (an API key).
//!
//! A tenant's API key is `nudge_<id>_<secret>`: the id finds the stored
//! record, which holds the sha256 of the whole key, never the key itself.

use hyper::{HeaderMap, StatusCode, header::AUTHORIZATION};
use jiff::Timestamp;
use nudge_core::{Tenant, TenantId};
use nudge_store::{ApiKeyRecord, Store};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// Prefix of every API key, so a leaked key is recognisable.
const KEY_PREFIX: &str = "nudge_";

/// A new API key: the key, shown once, and its record, kept.
#[derive(Debug)]
pub struct NewKey {
    /// The key to hand to the tenant.
    pub key: String,
    /// What the store keeps.
    pub record: ApiKeyRecord,
}

/// Makes a new random key for `tenant`.
pub fn new_key(tenant: &TenantId, at: Timestamp) -> ApiResult<NewKey> {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 24];
    getrandom::fill(&mut id).and_then(|()| getrandom::fill(&mut secret)).map_err(|e| ApiError::internal(&e))?;
    let id = hex::encode(id);
    let key = format!("{KEY_PREFIX}{id}_{}", hex::encode(secret));
    let record =
        ApiKeyRecord { id, tenant: tenant.clone(), sha256: sha256_hex(&key), created_at: at, revoked_at: None };
    Ok(NewKey { key, record })
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ
/// (both are hashed first, so not on their lengths either).
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// The bearer token of a request.
pub fn bearer(headers: &HeaderMap) -> ApiResult<&str> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| unauthorized("this route needs an `Authorization: Bearer <key>` header"))?;
    let text = value.to_str().map_err(|_| unauthorized("the Authorization header is not ASCII text"))?;
    text.strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <key>`"))
}

/// Checks the operator token of an admin request.
pub fn operator(headers: &HeaderMap, token: Option<&str>) -> ApiResult<()> {
    let Some(expected) = token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "admin routes are switched off: the operator sets [server] operator_token or NUDGE_OPERATOR_TOKEN",
        ));
    };
    if same_secret(bearer(headers)?, expected) { Ok(()) } else { Err(unauthorized("the operator token is not valid")) }
}

/// The tenant whose valid, unrevoked API key the request carries.
pub fn tenant(headers: &HeaderMap, store: &Store) -> ApiResult<Tenant> {
    let invalid = || unauthorized("the API key is not valid, or was revoked");
    let key = bearer(headers)?;
    let id =
        key.strip_prefix(KEY_PREFIX).and_then(|rest| rest.split_once('_')).map(|(id, _)| id).ok_or_else(invalid)?;
    let record = store.api_key(id)?.ok_or_else(invalid)?;
    if !same_secret(&sha256_hex(key), &record.sha256) || record.revoked_at.is_some() {
        return Err(invalid());
    }
    store.tenant(&record.tenant)?.ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_stored_hashed() {
        let tenant = TenantId::new("acme").unwrap();
        let (a, b) =
            (new_key(&tenant, Timestamp::UNIX_EPOCH).unwrap(), new_key(&tenant, Timestamp::UNIX_EPOCH).unwrap());
        assert_ne!(a.key, b.key);
        assert!(a.key.starts_with(&format!("nudge_{}_", a.record.id)));
        assert!(!a.record.sha256.contains(&a.key[20..]));
        assert_eq!(a.record.sha256, sha256_hex(&a.key));
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3cres"));
        assert!(!same_secret("s3cret", "s3cret-longer"));
        assert!(!same_secret("", "x"));
    }
}
