//! Signed tracking links: the open pixel, the click-through to the payment
//! link, one-click unsubscribe and the "was this reminder fair?" answers.
//!
//! A token names the tenant, the notice and the action, and carries an
//! HMAC-SHA256 (truncated to 128 bits) under the host's tracking key, so a
//! token cannot be guessed or changed into another notice's or another
//! action's. The click-through target is not in the token: the host looks up
//! the invoice's payment link when the link is followed, so a token can never
//! redirect anywhere else.
//!
//! ```
//! use nudge_core::{InvoiceId, NoticeId, TenantId};
//! use nudge_delivery::tracking::{Action, Tracker};
//!
//! let tracker = Tracker::new("https://nudge.example.com", [7; 32]).unwrap();
//! let tenant = TenantId::new("acme").unwrap();
//! let notice = NoticeId::derive(&tenant, &InvoiceId::new("inv-1").unwrap(), "overdue-1");
//! let links = tracker.links(&tenant, &notice);
//! let token = links.unsubscribe.rsplit('/').next().unwrap();
//! let found = tracker.verify(token).unwrap();
//! assert_eq!((found.tenant, found.notice, found.action), (tenant, notice, Action::Unsubscribe));
//! ```

use nudge_core::crypto::{constant_time_eq, hex, hmac_sha256, unhex};
use nudge_core::{NoticeId, TenantId};

/// Bytes of the MAC kept in a token (128 bits).
const MAC_BYTES: usize = 16;
/// The path under the base URL that every tracking link starts with.
pub const PATH: &str = "/t/";

/// What following a tracking link records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The open pixel was loaded.
    Open,
    /// The payment link was followed (redirects to the invoice's payment link).
    Click,
    /// One-click unsubscribe (RFC 8058): the customer opts out of the channel.
    Unsubscribe,
    /// "Was this reminder fair?" answered yes.
    FairYes,
    /// "Was this reminder fair?" answered no.
    FairNo,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [Action::Open, Action::Click, Action::Unsubscribe, Action::FairYes, Action::FairNo];

    fn code(self) -> char {
        match self {
            Action::Open => 'o',
            Action::Click => 'c',
            Action::Unsubscribe => 'u',
            Action::FairYes => 'y',
            Action::FairNo => 'n',
        }
    }

    fn from_code(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| code.len() == 1 && code.starts_with(a.code()))
    }
}

/// A verified token: who and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The tenant that sent the notice.
    pub tenant: TenantId,
    /// The notice the link was in.
    pub notice: NoticeId,
    /// What following it records.
    pub action: Action,
}

/// Why a token was refused. Deliberately coarse: a caller answers 404 to
/// all of them and tells the requester nothing more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form `v1.<action>.<tenant hex>.<notice>.<mac hex>`.
    #[error("malformed tracking token")]
    Malformed,
    /// Well-formed, but not signed with this host's key.
    #[error("tracking token signature does not match")]
    BadSignature,
}

/// The links of one notice, ready for a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// An image URL whose loading records an open (email only).
    pub open_pixel: String,
    /// Redirects to the invoice's payment link and records a click.
    pub click: String,
    /// One-click unsubscribe from the channel the notice went out on.
    pub unsubscribe: String,
    /// "Yes, this reminder was fair".
    pub fair_yes: String,
    /// "No, this reminder was not fair".
    pub fair_no: String,
}

/// Makes and checks tracking tokens under one key.
#[derive(Clone)]
pub struct Tracker {
    base_url: String,
    key: [u8; 32],
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never printed.
        f.debug_struct("Tracker").field("base_url", &self.base_url).field("key", &"<redacted>").finish()
    }
}

/// Why a tracker could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tracking base URL {url:?}: {reason}")]
pub struct BaseUrlError {
    url: String,
    reason: &'static str,
}

impl Tracker {
    /// A tracker whose links start with `base_url` (scheme and host, e.g.
    /// `https://nudge.example.com`, as customers reach the server).
    pub fn new(base_url: &str, key: [u8; 32]) -> Result<Tracker, BaseUrlError> {
        let url = base_url.trim_end_matches('/');
        let err = |reason| Err(BaseUrlError { url: base_url.to_string(), reason });
        let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
            return err("must start with http:// or https://");
        };
        if rest.is_empty() || rest.contains(['?', '#', ' ']) {
            return err("needs a host, and no query, fragment or spaces");
        }
        Ok(Tracker { base_url: url.to_string(), key })
    }

    /// The base URL links start with.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token for `action` on `notice`.
    pub fn token(&self, tenant: &TenantId, notice: &NoticeId, action: Action) -> String {
        let body = format!("v1.{}.{}.{}", action.code(), hex(tenant.as_str().as_bytes()), notice);
        let mac = hmac_sha256(&self.key, &[body.as_bytes()]);
        format!("{body}.{}", hex(&mac[..MAC_BYTES]))
    }

    /// The full URL for `action` on `notice`.
    pub fn url(&self, tenant: &TenantId, notice: &NoticeId, action: Action) -> String {
        format!("{}{PATH}{}", self.base_url, self.token(tenant, notice, action))
    }

    /// Every link of one notice.
    pub fn links(&self, tenant: &TenantId, notice: &NoticeId) -> Links {
        let url = |action| self.url(tenant, notice, action);
        Links {
            open_pixel: url(Action::Open),
            click: url(Action::Click),
            unsubscribe: url(Action::Unsubscribe),
            fair_yes: url(Action::FairYes),
            fair_no: url(Action::FairNo),
        }
    }

    /// Checks a token (the last path segment of a tracking link).
    pub fn verify(&self, token: &str) -> Result<Token, TokenError> {
        let (body, mac) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let mut parts = body.split('.');
        let (Some("v1"), Some(action), Some(tenant), Some(notice), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let given = unhex(mac).filter(|m| m.len() == MAC_BYTES).ok_or(TokenError::Malformed)?;
        let expected = hmac_sha256(&self.key, &[body.as_bytes()]);
        if !constant_time_eq(&given, &expected[..MAC_BYTES]) {
            return Err(TokenError::BadSignature);
        }
        // Signed by us, so the rest was made by `token`; still parsed strictly.
        let action = Action::from_code(action).ok_or(TokenError::Malformed)?;
        let tenant = unhex(tenant)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| TenantId::new(t).ok())
            .ok_or(TokenError::Malformed)?;
        let notice = NoticeId::parse(notice).ok_or(TokenError::Malformed)?;
        Ok(Token { tenant, notice, action })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::InvoiceId;

    fn parts() -> (Tracker, TenantId, NoticeId) {
        let tracker = Tracker::new("https://t.example.com/", [42; 32]).unwrap();
        let tenant = TenantId::new("acme|co.uk").unwrap();
        let notice = NoticeId::derive(&tenant, &InvoiceId::new("inv-9").unwrap(), "overdue-7");
        (tracker, tenant, notice)
    }

    #[test]
    fn every_action_round_trips() {
        let (tracker, tenant, notice) = parts();
        for action in Action::ALL {
            let url = tracker.url(&tenant, &notice, action);
            let token = url.strip_prefix("https://t.example.com/t/").unwrap();
            assert_eq!(tracker.verify(token), Ok(Token { tenant: tenant.clone(), notice: notice.clone(), action }));
        }
    }

    #[test]
    fn a_changed_action_notice_tenant_or_key_is_refused() {
        let (tracker, tenant, notice) = parts();
        let token = tracker.token(&tenant, &notice, Action::FairYes);
        let other_action = token.replacen(".y.", ".n.", 1);
        assert_eq!(tracker.verify(&other_action), Err(TokenError::BadSignature));
        let other_notice = NoticeId::derive(&tenant, &InvoiceId::new("inv-10").unwrap(), "overdue-7");
        let swapped = token.replace(notice.as_str(), other_notice.as_str());
        assert_eq!(tracker.verify(&swapped), Err(TokenError::BadSignature));
        let other_tenant = token.replace(&hex(tenant.as_str().as_bytes()), &hex(b"globex"));
        assert_eq!(tracker.verify(&other_tenant), Err(TokenError::BadSignature));
        let other_key = Tracker::new("https://t.example.com", [43; 32]).unwrap();
        assert_eq!(other_key.verify(&token), Err(TokenError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let (tracker, _, _) = parts();
        for token in ["", ".", "v1", "v1.o.00.n1.zz", "v1.o.61.n1.x.00112233445566778899aabbccddeeff", "\u{1F600}.ab"] {
            assert_eq!(tracker.verify(token), Err(TokenError::Malformed), "{token:?}");
        }
    }

    #[test]
    fn the_base_url_must_be_http_with_a_host() {
        assert!(Tracker::new("ftp://x", [0; 32]).is_err());
        assert!(Tracker::new("https://", [0; 32]).is_err());
        assert!(Tracker::new("https://x/?a=b", [0; 32]).is_err());
        assert_eq!(Tracker::new("http://127.0.0.1:8080/", [0; 32]).unwrap().base_url(), "http://127.0.0.1:8080");
        assert!(!format!("{:?}", Tracker::new("http://x", [9; 32]).unwrap()).contains('9'));
    }
}
