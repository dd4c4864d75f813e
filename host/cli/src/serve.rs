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

/// Where to listen and the server's settings, from the flags, the
/// environment and the configuration file, in that order of precedence.
pub fn settings(
    options: &Options,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(SocketAddr, nudge_server::ServerConfig)> {
    let file = &crate::config::get().server;
    let listen = match (options.listen, env(LISTEN_ENV).filter(|v| !v.is_empty())) {
        (Some(addr), _) => addr,
        (None, Some(text)) => {
            text.parse().with_context(|| format!("{LISTEN_ENV}={text:?} is not an address such as 127.0.0.1:8080"))?
        }
        (None, None) => file.listen.parse().with_context(|| format!("[server] listen {:?}", file.listen))?,
    };
    let operator_token = env(TOKEN_ENV).filter(|v| !v.is_empty()).or_else(|| file.operator_token.clone());
    if let Some(token) = &operator_token
        && token.len() < 16
    {
        anyhow::bail!("the operator token must be at least 16 characters ({TOKEN_ENV} or [server] operator_token)");
    }
    let public_url = match env(PUBLIC_URL_ENV).filter(|v| !v.is_empty()) {
        Some(url) => {
            crate::config::check_public_url(&url).map_err(|e| anyhow::anyhow!("{PUBLIC_URL_ENV}: {e}"))?;
            url
        }
        None => file.public_url.clone().unwrap_or_else(|| format!("http://{listen}")),
    };
    let config = nudge_server::ServerConfig {
        operator_token,
        public_url: Some(public_url),
        body_limit_bytes: file.body_limit_bytes,
        rate_limit_per_second: file.rate_limit_per_second,
        rate_limit_burst: file.rate_limit_burst,
        shutdown_grace: Duration::from_secs(file.shutdown_grace_seconds),
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
        let err = settings(&options(None), |n| (n == PUBLIC_URL_ENV).then(|| "ftp://x".to_string())).unwrap_err();
        assert!(format!("{err:#}").contains("NUDGE_PUBLIC_URL") && format!("{err:#}").contains("http"), "{err:#}");
    }
}
