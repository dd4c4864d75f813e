//! The accept loop, the scheduler's tick loop, and graceful shutdown.

use std::{
    future::Future,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use hyper::service::service_fn;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use jiff::Timestamp;
use nudge_scheduler::Scheduler;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    ServerConfig,
    app::{self, App},
    ratelimit::RateLimiter,
    telemetry::HttpMetrics,
};

/// Serves nudge's HTTP API on `listener` until `shutdown` completes, running
/// what falls due on `scheduler` meanwhile.
///
/// On shutdown it stops accepting connections, lets requests in flight
/// finish (up to `config.shutdown_grace`), stops the tick loop after the
/// run in progress, and flushes the store.
pub async fn run(
    listener: TcpListener,
    scheduler: Arc<Scheduler>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> crate::Result<()> {
    let public_url = match &config.public_url {
        Some(url) => url.clone(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let tracker = scheduler.enable_tracking(&public_url)?;
    tracing::info!(base_url = tracker.base_url(), "tracking links on");
    let app = Arc::new(App {
        limiter: RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst),
        tracking_limiter: RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst),
        tracker,
        scheduler,
        config,
        metrics: HttpMetrics::default(),
        ready: false.into(),
        wake: tokio::sync::Notify::new(),
    });
    let (stop, stopped) = watch::channel(false);
    let ticker = tokio::spawn(tick_loop(app.clone(), stopped));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(30));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let app = app.clone();
                    let service = service_fn(move |request| app::handle(app.clone(), request));
                    let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    app.ready.store(false, Ordering::SeqCst);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(app.config.shutdown_grace) => {
            tracing::warn!("requests still in flight after the grace period were dropped");
        }
    }
    let _ = stop.send(true);
    ticker.await.map_err(|e| crate::Error::Task(e.to_string()))?;
    let scheduler = app.scheduler.clone();
    tokio::task::spawn_blocking(move || scheduler.store().flush())
        .await
        .map_err(|e| crate::Error::Task(e.to_string()))??;
    tracing::info!("stopped");
    Ok(())
}

/// Runs what is due, then sleeps until the next entry is due (at most one
/// tick), a write wakes it, or shutdown; a run in progress always finishes.
async fn tick_loop(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    app.ready.store(true, Ordering::SeqCst);
    loop {
        let scheduler = app.scheduler.clone();
        let result = tokio::task::spawn_blocking(move || {
            let ran = scheduler.run_due(Timestamp::now())?;
            Ok::<_, nudge_scheduler::Error>((ran, scheduler.next_due()?))
        })
        .await;
        let next = match result {
            Ok(Ok((ran, next))) => {
                if ran > 0 {
                    tracing::debug!(ran, "ran due schedule entries");
                }
                next
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "running due schedule entries failed; retrying next tick");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "the scheduler run panicked; retrying next tick");
                None
            }
        };
        let tick = app.config.tick;
        let wait = next.map_or(tick, |due| {
            let until = due.duration_since(Timestamp::now());
            Duration::try_from(until).unwrap_or(Duration::ZERO).min(tick)
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = app.wake.notified() => {}
            _ = stopped.changed() => break,
        }
    }
    app.ready.store(false, Ordering::SeqCst);
}
