//! The dashboard `nudge serve` serves, drawn by a real browser: the demo's
//! replay of the real history in a data directory, a server on it, and
//! headless Chromium loading `/dashboard#key=…` as a tenant would. What the
//! page draws must be the report's numbers (`GET /v1/report`), and the CSV
//! export must carry the same ones.
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it);
//! `NUDGE_CHROMIUM` names another binary. Without one the test fails and
//! says so: it never skips itself.

use std::{
    path::PathBuf,
    process::Command,
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use nudge_cli::demo::{self, Options};
use serde_json::Value;

const OPERATOR: &str = "operator-token-for-the-dashboard-test";

fn chromium() -> PathBuf {
    let path = std::env::var_os("NUDGE_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "{} not found: install Debian's chromium package (`apt-get install chromium`, as .ci/run does) \
         or point NUDGE_CHROMIUM at a Chromium binary",
        path.display()
    );
    path
}

/// GET or POST with an optional bearer token; status and body.
fn request(method: &str, url: &str, token: &str, body: Option<&str>) -> (u16, String) {
    let request = ureq::request(method, url).set("Authorization", &format!("Bearer {token}"));
    let result = match body {
        Some(body) => request.send_string(body),
        None => request.call(),
    };
    match result {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

/// The text of the KPI card labelled `label` in the dumped DOM.
fn card(dom: &str, label: &str) -> String {
    let at = dom.find(&format!("<div class=\"label\">{label}</div>")).unwrap_or_else(|| panic!("no card {label:?}"));
    let before = &dom[..at];
    let start = before.rfind("<div class=\"value\">").unwrap() + "<div class=\"value\">".len();
    before[start..].trim_end_matches("</div>").to_string()
}

#[test]
fn headless_chromium_draws_the_report_of_the_real_history() {
    let chromium = chromium();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("demo");
    let options = Options {
        data_dir: data_dir.clone(),
        csv: None,
        plugin: None,
        json: true,
        metrics: None,
        limits: Default::default(),
    };
    demo::run(&options).unwrap();

    // The server on the demo's data directory. Its tick loop waits an hour,
    // so nothing changes the numbers while the browser reads them.
    let runtime = nudge_cli::runtime::runtime(Some(&data_dir)).unwrap();
    let scheduler = Arc::new(nudge_cli::runtime::scheduler_on(&data_dir, runtime).unwrap());
    let config = nudge_server::ServerConfig {
        operator_token: Some(OPERATOR.into()),
        tick: Duration::from_secs(3600),
        ..nudge_server::ServerConfig::default()
    };
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            nudge_server::run(listener, scheduler, config, async {
                let _ = stopped.await;
            })
            .await
        })
    });
    let base = format!("http://{}", addr_rx.recv_timeout(Duration::from_secs(30)).unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while request("GET", &format!("{base}/readyz"), "", None).0 != 200 {
        assert!(Instant::now() < deadline, "the server never became ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, created) =
        request("POST", &format!("{base}/v1/admin/tenants/{}/keys", nudge_cli::demo::TENANT), OPERATOR, Some("{}"));
    assert_eq!(status, 201, "{created}");
    let key = serde_json::from_str::<Value>(&created).unwrap()["api_key"]["key"].as_str().unwrap().to_string();

    let (status, json) = request("GET", &format!("{base}/v1/report"), &key, None);
    assert_eq!(status, 200, "{json}");
    let report: Value = serde_json::from_str(&json).unwrap();
    let sent = report["totals"]["notices_sent"].as_u64().unwrap();
    assert!(sent > 1000, "the demo sends over a thousand notices: {sent}");

    // The browser: no key in the page until the fragment gives it one.
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--user-data-dir={}", dir.path().join("chromium").display()),
            "--virtual-time-budget=10000",
            "--dump-dom",
            &format!("{base}/dashboard#key={key}"),
        ])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        dom.contains("<h1>nudge — acme</h1>"),
        "the report replaced the login page: {}",
        &dom[..dom.len().min(2000)]
    );
    for chart in ["trend-paid", "trend-late", "curves-cohort"] {
        let at = dom.find(&format!("id=\"{chart}\"")).unwrap_or_else(|| panic!("no chart {chart}"));
        let svg = &dom[at..at + dom[at..].find("</svg>").unwrap()];
        assert!(svg.contains("<path") || svg.contains("<polyline"), "chart {chart} draws no line: {svg}");
    }
    assert_eq!(card(&dom, "notices sent"), sent.to_string());
    let paid = report["totals"]["paid_within_7d_of_first_notice"]["numerator"].as_u64();
    let of = report["totals"]["paid_within_7d_of_first_notice"]["denominator"].as_u64();
    if let (Some(paid), Some(of)) = (paid, of) {
        assert_eq!(
            card(&dom, "paid within 7 days of first notice"),
            format!("{:.1}%", paid as f64 * 100.0 / of as f64)
        );
    }
    assert!(dom.contains("Plugin incidents") || dom.contains("id=\"no-incidents\""), "no incidents section");

    // A wrong key gets the login page back with the server's reason.
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", dir.path().join("chromium-2").display()),
            "--virtual-time-budget=10000",
            "--dump-dom",
            &format!("{base}/dashboard#key=not-a-key"),
        ])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Refused (401)"), "{dom}");

    // The CSV export carries the same numbers.
    let (status, csv) = request("GET", &format!("{base}/v1/report?format=csv"), &key, None);
    assert_eq!(status, 200);
    assert!(csv.lines().any(|l| l.contains("notices_sent") && l.contains(&sent.to_string())), "{csv}");
    let (status, again) = request("GET", &format!("{base}/v1/report"), &key, None);
    assert_eq!((status, serde_json::from_str::<Value>(&again).unwrap()), (200, report), "the numbers held still");
    let (status, bad) = request("GET", &format!("{base}/v1/report?format=pdf"), &key, None);
    assert_eq!(status, 400, "{bad}");
    assert!(bad.contains("format must be json, csv, html or text"), "{bad}");

    stop.send(()).unwrap();
    server.join().unwrap().unwrap();
}
