//! SMTP through lettre into aiosmtpd.

use nudge_core::Channel;
use nudge_delivery::{
    IdempotencyKey, Secret, SendError, Transport,
    transport::{Smtp, SmtpConfig, SmtpSecurity},
};

use crate::{message, smtp_sink::SmtpSink};

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::Plain,
        username: None,
        password: None,
        from: "billing@acme.example".into(),
        hello_name: None,
        timeout_ms: 5_000,
        root_certificate_pem: None,
        max_connections: 10,
    }
}

/// The value of header `name` in a raw message (unfolded), if present.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ").replace("\r\n\t", " ");
    head.lines()
        .find_map(|l| l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string()))
}

#[test]
fn smtp_delivers_plain_and_html_parts_with_one_click_unsubscribe() {
    let sink = SmtpSink::start(&[]);
    let smtp = Smtp::new(&config(sink.port)).unwrap();
    let outgoing = message(Channel::Email, "ada@customer.example", "inv-42")
        .with_html("<p>Hello Ada,</p><p>invoice 42 is <b>overdue</b>.</p>")
        .with_unsubscribe_url("https://nudge.example/t/u.abc123");
    let key = IdempotencyKey::for_notice(&outgoing.message.notice, Channel::Email);
    let receipt = smtp.send(&outgoing, &key).unwrap();
    assert_eq!(receipt.provider_id.as_deref(), Some(format!("<{key}@acme.example>").as_str()));

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let raw = &messages[0];
    assert_eq!(header(raw, "From").as_deref(), Some("\"Acme Billing\" <billing@acme.example>"));
    assert_eq!(header(raw, "To").as_deref(), Some("ada@customer.example"));
    assert_eq!(header(raw, "Subject").as_deref(), Some("Invoice 42 is overdue"));
    assert_eq!(header(raw, "Message-ID"), Some(format!("<{key}@acme.example>")));
    assert_eq!(header(raw, "Date").as_deref(), Some("Mon, 02 Mar 2026 09:30:00 +0000"));
    assert_eq!(header(raw, "List-Unsubscribe").as_deref(), Some("<https://nudge.example/t/u.abc123>"));
    assert_eq!(header(raw, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert_eq!(header(raw, "X-Nudge-Notice"), Some(outgoing.message.notice.to_string()));
    assert_eq!(header(raw, "X-Nudge-Step").as_deref(), Some("overdue-1"));
    let content_type = header(raw, "Content-Type").unwrap();
    assert!(content_type.starts_with("multipart/alternative;"), "{content_type}");
    let plain = raw.find("Content-Type: text/plain; charset=utf-8").expect("a text/plain part");
    let html = raw.find("Content-Type: text/html; charset=utf-8").expect("a text/html part");
    assert!(plain < html, "the plain part comes first, as RFC 2046 orders alternatives");
    assert!(raw.contains("invoice 42 for USD 12.00 is one day overdue.") && raw.contains("<b>overdue</b>"), "{raw}");
}

#[test]
fn smtp_without_html_or_unsubscribe_is_plain_text_without_list_headers() {
    let sink = SmtpSink::start(&[]);
    let smtp = Smtp::new(&config(sink.port)).unwrap();
    let outgoing = message(Channel::Email, "ada@customer.example", "inv-43");
    smtp.send(&outgoing, &IdempotencyKey::new("k-43")).unwrap();
    let raw = &sink.messages()[0];
    assert!(header(raw, "Content-Type").unwrap().starts_with("text/plain"));
    assert_eq!(header(raw, "List-Unsubscribe"), None);
    assert_eq!(header(raw, "Message-ID").as_deref(), Some("<k-43@acme.example>"));
}

#[test]
fn smtp_550_is_permanent_and_blames_the_address_451_is_transient() {
    let sink = SmtpSink::start(&["--reject", "^gone@", "--tempfail", "^busy@"]);
    let smtp = Smtp::new(&config(sink.port)).unwrap();
    let key = IdempotencyKey::new("k");
    let rejected = smtp.send(&message(Channel::Email, "gone@customer.example", "a"), &key).unwrap_err();
    assert!(matches!(rejected, SendError::Permanent { .. }) && rejected.blames_contact(), "{rejected:?}");
    assert!(rejected.reason().contains("550"), "{rejected}");
    let deferred = smtp.send(&message(Channel::Email, "busy@customer.example", "b"), &key).unwrap_err();
    assert!(deferred.is_transient(), "{deferred:?}");
    assert!(deferred.reason().contains("451"), "{deferred}");
    let invalid = smtp.send(&message(Channel::Email, "not an address", "c"), &key).unwrap_err();
    assert!(invalid.blames_contact(), "{invalid:?}");
    assert_eq!(sink.count(), 0);
    // The pooled connection survives refusals: the next good message goes through.
    smtp.send(&message(Channel::Email, "ada@customer.example", "d"), &key).unwrap();
    assert_eq!(sink.count(), 1);
}

#[test]
fn smtp_authenticates_and_a_wrong_password_is_permanent_and_never_shown() {
    let sink = SmtpSink::start(&["--user", "acme", "--password", "correct-horse-42"]);
    let mut good = config(sink.port);
    good.username = Some("acme".into());
    good.password = Some(Secret::new("correct-horse-42"));
    Smtp::new(&good)
        .unwrap()
        .send(&message(Channel::Email, "ada@customer.example", "a"), &IdempotencyKey::new("k1"))
        .unwrap();
    assert_eq!(sink.count(), 1);

    let mut bad = good.clone();
    bad.password = Some(Secret::new("wrong-battery-staple"));
    let smtp = Smtp::new(&bad).unwrap();
    let error =
        smtp.send(&message(Channel::Email, "ada@customer.example", "b"), &IdempotencyKey::new("k2")).unwrap_err();
    assert!(matches!(error, SendError::Permanent { .. }) && !error.blames_contact(), "{error:?}");
    for text in [format!("{error}"), format!("{error:?}"), format!("{bad:?}"), format!("{smtp:?}")] {
        assert!(!text.contains("wrong-battery-staple"), "{text}");
    }
    assert_eq!(sink.count(), 1);
}

#[test]
fn smtp_requiring_starttls_refuses_a_server_without_it() {
    let sink = SmtpSink::start(&[]);
    let mut starttls = config(sink.port);
    starttls.security = SmtpSecurity::Starttls;
    let error = Smtp::new(&starttls)
        .unwrap()
        .send(&message(Channel::Email, "ada@customer.example", "a"), &IdempotencyKey::new("k"))
        .unwrap_err();
    assert!(matches!(error, SendError::Permanent { .. }), "{error:?}");
    assert!(error.reason().contains("STARTTLS"), "{error}");
    assert_eq!(sink.count(), 0, "nothing goes out in clear text when STARTTLS is required");
}

#[test]
fn smtp_connection_refused_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let error = Smtp::new(&config(port))
        .unwrap()
        .send(&message(Channel::Email, "ada@customer.example", "a"), &IdempotencyKey::new("k"))
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}

/// A private CA and a server certificate it signed for `localhost` (openssl
/// CLI), as files in `dir`: (server certificate, server key, CA's PEM).
fn certificate(dir: &std::path::Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).display().to_string();
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let steps: [Vec<String>; 3] = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=nudge test CA", "-keyout"]
            .iter()
            .map(|s| s.to_string())
            .chain([path("ca.key"), "-out".into(), path("ca.pem")])
            .collect(),
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout"]
            .iter()
            .map(|s| s.to_string())
            .chain([path("key.pem"), "-out".into(), path("server.csr")])
            .collect(),
        ["x509", "-req", "-days", "1", "-CAcreateserial", "-in"]
            .iter()
            .map(|s| s.to_string())
            .chain([path("server.csr"), "-CA".into(), path("ca.pem"), "-CAkey".into(), path("ca.key")])
            .chain(["-extfile".into(), path("ext.cnf"), "-out".into(), path("cert.pem")])
            .collect(),
    ];
    for args in steps {
        let status = std::process::Command::new("openssl")
            .args(&args)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the TLS test needs the openssl command (Debian package openssl)");
        assert!(status.success(), "openssl {args:?} failed");
    }
    (path("cert.pem"), path("key.pem"), std::fs::read_to_string(dir.join("ca.pem")).unwrap())
}

#[test]
fn smtp_sends_over_starttls_and_implicit_tls_with_the_certificate_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = certificate(dir.path());
    for (security, implicit) in [(SmtpSecurity::Starttls, false), (SmtpSecurity::Tls, true)] {
        let mut args = vec!["--cert", cert.as_str(), "--key", key.as_str()];
        if implicit {
            args.push("--implicit-tls");
        }
        let sink = SmtpSink::start(&args);
        let mut tls = config(sink.port);
        tls.host = "localhost".into();
        tls.security = security;
        tls.root_certificate_pem = Some(pem.clone());
        let outgoing = message(Channel::Email, "ada@customer.example", "inv-tls");
        Smtp::new(&tls).unwrap().send(&outgoing, &IdempotencyKey::new("k-tls")).unwrap();
        let raw = &sink.messages()[0];
        assert_eq!(header(raw, "Message-ID").as_deref(), Some("<k-tls@acme.example>"), "{security:?}");

        // Without the private CA the certificate is not trusted, and nothing is sent.
        tls.root_certificate_pem = None;
        let error = Smtp::new(&tls).unwrap().send(&outgoing, &IdempotencyKey::new("k-tls-2")).unwrap_err();
        assert!(error.reason().to_lowercase().contains("tls") || error.reason().contains("certificate"), "{error}");
        assert_eq!(sink.count(), 1, "{security:?}");
    }
    let bad =
        SmtpConfig { root_certificate_pem: Some("not pem".into()), security: SmtpSecurity::Starttls, ..config(25) };
    assert!(Smtp::new(&bad).unwrap_err().to_string().contains("smtp.root_certificate_pem"));
}
