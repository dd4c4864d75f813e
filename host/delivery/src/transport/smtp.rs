//! Email over SMTP with lettre (blocking, pooled connections, rustls).
//!
//! Each message is multipart/alternative (plain text and HTML) when it has
//! an HTML part, plain text otherwise. Its `Message-ID` is derived from the
//! idempotency key, so a retried send carries the same id and receiving
//! systems can drop the duplicate. A message with an unsubscribe link gets
//! `List-Unsubscribe: <url>` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058), which mailbox providers show as
//! an unsubscribe button.
//!
//! SMTP 4xx replies, timeouts and connection failures are transient; 5xx
//! replies permanent, and 550, 551 and 553 (mailbox unavailable, not local,
//! name not allowed) blame the address.

use std::time::{Duration, SystemTime};

use lettre::{
    Address,
    message::{
        Mailbox, MultiPart, SinglePart,
        header::{HeaderName, HeaderValue},
    },
    transport::smtp::{
        PoolConfig,
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
        extension::ClientId,
    },
};
use serde::{Deserialize, Serialize};

use crate::{ConfigError, IdempotencyKey, Outgoing, Receipt, Secret, SendError, Transport};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// No TLS at all: only for a relay on the same machine, and tests.
    Plain,
    /// Plain connection upgraded with STARTTLS, which the server must offer (default; port 587).
    #[default]
    Starttls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
}

/// Settings of the SMTP transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// The port (default 25 for plain, 587 for STARTTLS, 465 for TLS).
    #[serde(default)]
    pub port: Option<u16>,
    /// plain, starttls or tls.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// The login, when the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// The password of `username`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender's address; the display name is the message's `from_name`.
    pub from: String,
    /// The name sent in EHLO (default the sender's domain).
    #[serde(default)]
    pub hello_name: Option<String>,
    /// Milliseconds any one SMTP exchange may take (default 30,000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// An extra certificate authority (PEM) to trust besides the public
    /// ones, for a relay with a private CA.
    #[serde(default)]
    pub root_certificate_pem: Option<String>,
    /// Connections kept open to the server at most (default 10). Each
    /// carries one message at a time: see "Delivery" in BENCHMARKS.md.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

fn default_max_connections() -> u32 {
    10
}

fn default_timeout_ms() -> u64 {
    30_000
}

/// Sends email through an SMTP server.
pub struct Smtp {
    transport: lettre::SmtpTransport,
    from: Address,
    password: Option<Secret>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp").field("from", &self.from).finish_non_exhaustive()
    }
}

impl Smtp {
    /// A transport for `config`; refuses an unusable sender address, a
    /// username without password, or TLS settings rustls cannot use.
    pub fn new(config: &SmtpConfig) -> Result<Self, ConfigError> {
        let invalid = |field: &str, reason: String| ConfigError::Invalid { field: format!("smtp.{field}"), reason };
        let from: Address = config
            .from
            .parse()
            .map_err(|e| invalid("from", format!("{:?} is not an email address: {e}", config.from)))?;
        let (security, default_port) = match config.security {
            SmtpSecurity::Plain => (Tls::None, 25),
            SmtpSecurity::Starttls | SmtpSecurity::Tls => {
                let mut parameters = TlsParameters::builder(config.host.clone());
                if let Some(pem) = &config.root_certificate_pem {
                    // lettre accepts a PEM without certificates, trusting nothing more.
                    if !pem.contains("-----BEGIN CERTIFICATE-----") {
                        return Err(invalid("root_certificate_pem", "no -----BEGIN CERTIFICATE----- block".into()));
                    }
                    let certificate = Certificate::from_pem(pem.as_bytes())
                        .map_err(|e| invalid("root_certificate_pem", format!("not a PEM certificate: {e}")))?;
                    parameters = parameters.add_root_certificate(certificate);
                }
                let parameters = parameters
                    .build()
                    .map_err(|e| invalid("host", format!("TLS cannot be set up for {:?}: {e}", config.host)))?;
                match config.security {
                    SmtpSecurity::Tls => (Tls::Wrapper(parameters), 465),
                    _ => (Tls::Required(parameters), 587),
                }
            }
        };
        let hello = config.hello_name.clone().unwrap_or_else(|| from.domain().to_string());
        let mut builder = lettre::SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port.unwrap_or(default_port))
            .tls(security)
            .hello_name(ClientId::Domain(hello))
            .timeout(Some(Duration::from_millis(config.timeout_ms)))
            .pool_config(PoolConfig::new().max_size(config.max_connections.max(1)));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
            }
            (None, None) => {}
            (Some(_), None) => return Err(invalid("password", "a username needs a password".into())),
            (None, Some(_)) => return Err(invalid("username", "a password needs a username".into())),
        }
        Ok(Self { transport: builder.build(), from, password: config.password.clone() })
    }

    /// The Message-ID of a send: the key at the sender's domain.
    fn message_id(&self, key: &IdempotencyKey) -> String {
        format!("<{key}@{}>", self.from.domain())
    }

    /// The email for `message`.
    fn email(&self, message: &Outgoing, key: &IdempotencyKey) -> Result<lettre::Message, SendError> {
        let m = &message.message;
        let to: Address =
            m.to.trim()
                .parse()
                .map_err(|e| SendError::bad_contact(format!("the recipient is not an email address: {e}")))?;
        let mut builder = lettre::Message::builder()
            .from(Mailbox::new(Some(m.from_name.clone()), self.from.clone()))
            .to(Mailbox::new(None, to))
            .subject(m.subject.clone())
            .date(SystemTime::from(m.sent_at))
            .message_id(Some(self.message_id(key)));
        let mut headers = vec![("X-Nudge-Notice".to_string(), m.notice.to_string())];
        headers.extend(m.headers.iter().map(|(name, value)| (format!("X-Nudge-{name}"), value.clone())));
        if let Some(url) = &message.unsubscribe_url {
            headers.push(("List-Unsubscribe".into(), format!("<{url}>")));
            headers.push(("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()));
        }
        for (name, value) in headers {
            let header = HeaderName::new_from_ascii(name.clone())
                .map_err(|_| SendError::permanent(format!("{name:?} cannot be an email header name")))?;
            builder = builder.raw_header(HeaderValue::new(header, value));
        }
        let built = match &m.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(m.body.clone(), html.clone())),
            None => builder.singlepart(SinglePart::plain(m.body.clone())),
        };
        built.map_err(|e| SendError::permanent(format!("the email cannot be built: {e}")))
    }
}

/// Sorts an SMTP failure into transient and permanent.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let reason = format!("SMTP {error}");
    if error.is_permanent() {
        let code = error.status().map(|c| c.to_string()).unwrap_or_default();
        if matches!(code.as_str(), "550" | "551" | "553") {
            SendError::bad_contact(reason)
        } else {
            SendError::permanent(reason)
        }
    } else if error.is_transient() {
        SendError::transient(reason)
    } else if error.is_client() {
        // The server lacks what the configuration requires (STARTTLS, an
        // authentication mechanism): retrying the same server cannot help.
        SendError::permanent(reason)
    } else {
        // Network, connection, TLS handshake, timeouts.
        SendError::transient(reason)
    }
}

impl Transport for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn send(&self, message: &Outgoing, key: &IdempotencyKey) -> Result<Receipt, SendError> {
        let email = self.email(message, key)?;
        let secrets: Vec<&Secret> = self.password.iter().collect();
        match lettre::Transport::send(&self.transport, &email) {
            Ok(_) => Ok(Receipt { transport: "smtp", provider_id: Some(self.message_id(key)), duplicate: false }),
            Err(error) => Err(classify(&error).scrubbed(&secrets)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SmtpConfig {
        serde_json::from_str(r#"{"host": "127.0.0.1", "from": "billing@acme.example"}"#).unwrap()
    }

    #[test]
    fn configuration_is_checked() {
        let config = config();
        assert_eq!(config.security, SmtpSecurity::Starttls);
        assert!(Smtp::new(&config).is_ok());
        let bad = SmtpConfig { from: "not an address".into(), ..config.clone() };
        assert!(Smtp::new(&bad).unwrap_err().to_string().contains("smtp.from"));
        let half = SmtpConfig { username: Some("u".into()), ..config };
        assert!(Smtp::new(&half).unwrap_err().to_string().contains("a username needs a password"));
    }
}
