//! The HTTP API end to end: a server on 127.0.0.1:0 in this process,
//! driven by a blocking HTTP client.

// Test helpers: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e;
mod events;
mod limits;
mod privacy;
mod stripe;
mod templates;
mod tick;
mod walk;

use std::{
    sync::{Arc, mpsc},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use nudge_runtime::{Limits, Runtime, RuntimeOptions};
use nudge_scheduler::{Scheduler, SchedulerConfig};
use nudge_server::ServerConfig;
use nudge_store::Store;
use serde_json::Value;

/// The operator token of every test server.
pub const OPERATOR: &str = "operator-token-for-tests";

/// A server running on its own thread and tokio runtime.
pub struct TestServer {
    pub base: String,
    pub scheduler: Arc<Scheduler>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<nudge_server::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start(config: ServerConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store")).unwrap();
        let options = RuntimeOptions { cache_dir: Some(dir.path().join("cache")), compile_worker: None };
        let runtime = Runtime::with_options(Limits::default(), options).unwrap();
        let scheduler = Arc::new(Scheduler::new(store, runtime, SchedulerConfig::new(dir.path().join("outbox"))));
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = scheduler.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                nudge_server::run(listener, served, config, async {
                    let _ = stopped.await;
                })
                .await
            })
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        Self { base: format!("http://{addr}"), scheduler, stop: Some(stop), thread: Some(thread), _dir: dir }
    }

    pub fn config() -> ServerConfig {
        ServerConfig { operator_token: Some(OPERATOR.into()), ..ServerConfig::default() }
    }

    /// Stops the server and waits until `run` returned.
    pub fn shut_down(&mut self) -> nudge_server::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().unwrap(),
            None => Ok(()),
        }
    }

    /// Waits until `/readyz` answers 200 (the tick loop started).
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while call(self, "GET", "/readyz", None, None).status != 200 {
            assert!(Instant::now() < deadline, "the server never became ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

/// A response: status, body, and whether it was an idempotent replay.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub replayed: bool,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts the status and the JSON error shape with `code`.
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        let json = self.json();
        assert_eq!(json["error"]["code"], code, "{}", self.text);
        let message = json["error"]["message"].as_str().unwrap().to_string();
        assert!(!message.is_empty());
        assert_eq!(json.as_object().unwrap().len(), 1, "only `error` at the top: {}", self.text);
        message
    }
}

/// Sends a request with an optional bearer token and body.
pub fn call(server: &TestServer, method: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> Answer {
    call_with(server, method, path, token, body, &[])
}

/// [`call`] with extra headers.
pub fn call_with(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = ureq::request(method, &format!("{}{path}", server.base)).timeout(Duration::from_secs(120));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    Answer {
        status: response.status(),
        replayed: response.header("idempotent-replayed") == Some("true"),
        retry_after: response.header("retry-after").map(str::to_string),
        text: response.into_string().unwrap(),
    }
}

/// Sends JSON.
pub fn send_json(server: &TestServer, method: &str, path: &str, token: &str, body: &Value) -> Answer {
    call(server, method, path, Some(token), Some(body.to_string().as_bytes()))
}
