//! `nudge serve`: the HTTP API over a data directory, until SIGTERM or Ctrl-C.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::Args;

/// Environment variable overriding `[server] listen`.
pub const LISTEN_ENV: &str = "NUDGE_LISTEN";
/// Environment variable overriding `[server] operator_token`.
pub const TOKEN_ENV: &str = "NUDGE_OPERATOR_TOKEN";
/// Environment variable overriding `[server] public_url`.
pub const PUBLIC_URL_ENV: &str = "NUDGE_PUBLIC_URL";

/// Every `[server]` setting and the environment variable overriding it.
pub const SERVER_ENV: [(&str, &str); 9] = [
    ("listen", LISTEN_ENV),
    ("operator_token", TOKEN_ENV),
    ("public_url", PUBLIC_URL_ENV),
    ("body_limit_bytes", "NUDGE_BODY_LIMIT_BYTES"),
    ("rate_limit_per_second", "NUDGE_RATE_LIMIT_PER_SECOND"),
    ("rate_limit_burst", "NUDGE_RATE_LIMIT_BURST"),
    ("webhook_rate_limit_per_second", "NUDGE_WEBHOOK_RATE_LIMIT_PER_SECOND"),
    ("webhook_rate_limit_burst", "NUDGE_WEBHOOK_RATE_LIMIT_BURST"),
    ("shutdown_grace_seconds", "NUDGE_SHUTDOWN_GRACE_SECONDS"),
];

/// What `nudge serve --help` says after the options.
pub const AFTER_HELP: &str = "Environment (each overrides its [server] setting of the configuration file; \
--listen overrides both):
  NUDGE_LISTEN, NUDGE_OPERATOR_TOKEN, NUDGE_PUBLIC_URL, NUDGE_BODY_LIMIT_BYTES,
  NUDGE_RATE_LIMIT_PER_SECOND, NUDGE_RATE_LIMIT_BURST,
  NUDGE_WEBHOOK_RATE_LIMIT_PER_SECOND, NUDGE_WEBHOOK_RATE_LIMIT_BURST,
  NUDGE_SHUTDOWN_GRACE_SECONDS

The API is described by GET /openapi.json (OpenAPI 3).";

/// Options of `nudge serve`.
#[derive(Debug, Args)]
pub struct Options {
    /// Address to listen on [default: NUDGE_LISTEN, else [server] listen, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Data directory of the store (created if missing).
    #[arg(long, default_value = "nudge-data")]
    pub data_dir: PathBuf,
}

/// The `[server]` section with the environment's overrides applied, each
/// checked as it is applied so that an error names the variable at fault.
fn with_env(file: &crate::config::Server, env: impl Fn(&str) -> Option<String>) -> Result<crate::config::Server> {
    fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        text.trim().parse().map_err(|e| anyhow::anyhow!("{name}={text:?} is not a whole number ({e})"))
    }
    let mut server = file.clone();
    for (setting, name) in SERVER_ENV {
        let Some(text) = env(name).filter(|v| !v.is_empty()) else { continue };
        match setting {
            "listen" => server.listen = text.clone(),
            "operator_token" => server.operator_token = Some(text.clone()),
            "public_url" => server.public_url = Some(text.clone()),
            "body_limit_bytes" => server.body_limit_bytes = number(name, &text)?,
            "rate_limit_per_second" => server.rate_limit_per_second = number(name, &text)?,
            "rate_limit_burst" => server.rate_limit_burst = number(name, &text)?,
            "webhook_rate_limit_per_second" => server.webhook_rate_limit_per_second = number(name, &text)?,
            "webhook_rate_limit_burst" => server.webhook_rate_limit_burst = number(name, &text)?,
            "shutdown_grace_seconds" => server.shutdown_grace_seconds = number(name, &text)?,
            other => anyhow::bail!("no [server] setting {other}"),
        }
        // The token is never echoed.
        let shown = if name == TOKEN_ENV { "[set]".to_string() } else { format!("{text:?}") };
        server.validate().map_err(|e| anyhow::anyhow!("{name}={shown}: {e}"))?;
    }
    Ok(server)
}

/// Where to listen and the server's settings, from the flags, the
/// environment and the configuration file, in that order of precedence.
pub fn settings(
    options: &Options,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(SocketAddr, nudge_server::ServerConfig)> {
    let server = with_env(&crate::config::get().server, env)?;
    let listen = match options.listen {
        Some(addr) => addr,
        None => server.listen.parse().with_context(|| format!("[server] listen {:?}", server.listen))?,
    };
    // Tracking links start with the address customers reach the server at.
    let public_url = server.public_url.clone().unwrap_or_else(|| format!("http://{listen}"));
    let config = nudge_server::ServerConfig {
        operator_token: server.operator_token,
        public_url: Some(public_url),
        body_limit_bytes: server.body_limit_bytes,
        rate_limit_per_second: server.rate_limit_per_second,
        rate_limit_burst: server.rate_limit_burst,
        webhook_rate_limit_per_second: server.webhook_rate_limit_per_second,
        webhook_rate_limit_burst: server.webhook_rate_limit_burst,
        shutdown_grace: Duration::from_secs(server.shutdown_grace_seconds),
        ..nudge_server::ServerConfig::default()
    };
    Ok((listen, config))
}

/// Runs `nudge serve`.
pub fn main(options: &Options) -> Result<ExitCode> {
    let (listen, config) = settings(options, |name| std::env::var(name).ok())?;
    if config.operator_token.is_none() {
        tracing::warn!("no operator token ({TOKEN_ENV} or [server] operator_token): admin routes are switched off");
    }
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating the data directory {}", options.data_dir.display()))?;
    let scheduler = Arc::new(crate::runtime::scheduler(&options.data_dir)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        let local = listener.local_addr().context("reading the listening address")?;
        // Said on stderr so that scripts binding port 0 can find the port.
        crate::errln!("nudge serve: listening on http://{local} (data in {})", options.data_dir.display());
        nudge_server::run(listener, scheduler, config, shutdown_signal()).await.context("serving")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(listen: Option<&str>) -> Options {
        Options { listen: listen.map(|l| l.parse().unwrap()), data_dir: "d".into() }
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_file() {
        let env = |name: &str| match name {
            LISTEN_ENV => Some("127.0.0.1:9001".to_string()),
            TOKEN_ENV => Some("from-the-environment".to_string()),
            _ => None,
        };
        let (addr, config) = settings(&options(Some("127.0.0.1:9002")), env).unwrap();
        assert_eq!(addr.port(), 9002);
        assert_eq!(config.operator_token.as_deref(), Some("from-the-environment"));
        let (addr, _) = settings(&options(None), env).unwrap();
        assert_eq!(addr.port(), 9001);
        let (addr, config) = settings(&options(None), |_| None).unwrap();
        assert_eq!(addr.to_string(), crate::config::DEFAULT_LISTEN);
        assert_eq!(config.operator_token, None);
        assert_eq!(config.public_url.as_deref(), Some("http://127.0.0.1:8080"), "the listening address by default");
        let public = |n: &str| (n == PUBLIC_URL_ENV).then(|| "https://nudge.example.com".to_string());
        let (_, config) = settings(&options(None), public).unwrap();
        assert_eq!(config.public_url.as_deref(), Some("https://nudge.example.com"));
    }

    #[test]
    fn bad_environment_values_are_named() {
        let err = settings(&options(None), |n| (n == LISTEN_ENV).then(|| "nowhere".to_string())).unwrap_err();
        assert!(format!("{err:#}").contains("NUDGE_LISTEN=\"nowhere\""), "{err:#}");
        let err = settings(&options(None), |n| (n == TOKEN_ENV).then(|| "short".to_string())).unwrap_err();
        assert!(format!("{err:#}").contains("at least 16"), "{err:#}");
        assert!(!format!("{err:#}").contains("short"), "the token is never echoed: {err:#}");
        let err = settings(&options(None), |n| (n == PUBLIC_URL_ENV).then(|| "ftp://x".to_string())).unwrap_err();
        assert!(format!("{err:#}").contains("NUDGE_PUBLIC_URL") && format!("{err:#}").contains("http"), "{err:#}");
        for (name, bad, says) in [
            ("NUDGE_BODY_LIMIT_BYTES", "lots", "not a whole number"),
            ("NUDGE_BODY_LIMIT_BYTES", "10", "outside 1024"),
            ("NUDGE_RATE_LIMIT_BURST", "0", "at least 1"),
            ("NUDGE_WEBHOOK_RATE_LIMIT_PER_SECOND", "0", "at least 1"),
            ("NUDGE_SHUTDOWN_GRACE_SECONDS", "-1", "not a whole number"),
            ("NUDGE_SHUTDOWN_GRACE_SECONDS", "7200", "over an hour"),
        ] {
            let err = settings(&options(None), |n| (n == name).then(|| bad.to_string())).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(&format!("{name}={bad:?}")) && text.contains(says), "{name}: {text}");
        }
    }

    #[test]
    fn every_server_setting_has_an_environment_override() {
        let env = |name: &str| {
            Some(
                match name {
                    "NUDGE_BODY_LIMIT_BYTES" => "2048",
                    "NUDGE_RATE_LIMIT_PER_SECOND" => "3",
                    "NUDGE_RATE_LIMIT_BURST" => "4",
                    "NUDGE_WEBHOOK_RATE_LIMIT_PER_SECOND" => "5",
                    "NUDGE_WEBHOOK_RATE_LIMIT_BURST" => "6",
                    "NUDGE_SHUTDOWN_GRACE_SECONDS" => "7",
                    "NUDGE_PUBLIC_URL" => "https://nudge.example.com",
                    _ => return None,
                }
                .to_string(),
            )
        };
        let (_, config) = settings(&options(None), env).unwrap();
        assert_eq!(config.body_limit_bytes, 2048);
        assert_eq!((config.rate_limit_per_second, config.rate_limit_burst), (3, 4));
        assert_eq!((config.webhook_rate_limit_per_second, config.webhook_rate_limit_burst), (5, 6));
        assert_eq!(config.shutdown_grace, Duration::from_secs(7));
        assert_eq!(config.public_url.as_deref(), Some("https://nudge.example.com"));
        // Every field of [server] is in the table (the README example lists them all).
        let readme = include_str!("../../../README.md");
        let block = readme.split("```toml\n").find(|block| block.starts_with("[server]")).unwrap();
        let example = block.split("```").next().unwrap();
        for line in example.lines().skip(1) {
            let setting = line.trim_start_matches("# ").split([' ', '=']).next().unwrap();
            let (_, name) = SERVER_ENV.iter().find(|(s, _)| *s == setting).unwrap_or_else(|| panic!("{setting}"));
            assert!(line.contains(name), "the README's {setting} line names {name}");
        }
        for (_, name) in SERVER_ENV {
            assert!(AFTER_HELP.contains(name), "nudge serve --help names {name}");
        }
    }
}
