//! Request counters and the `/metrics` page.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex, time::Duration};

use hyper::{Method, StatusCode};
use nudge_scheduler::Scheduler;

/// Method, route label and status of a request.
type RequestKey = (String, &'static str, u16);

/// HTTP requests served, by method, route and status: how many, and the
/// seconds spent on them.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    counts: Mutex<BTreeMap<RequestKey, (u64, f64)>>,
}

impl HttpMetrics {
    /// Counts one request.
    pub fn count(&self, method: &Method, route: &'static str, status: StatusCode, took: Duration) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Extension methods all count as one, so clients cannot grow the label set.
        let known =
            [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS];
        let method = if known.contains(method) { method.as_str() } else { "OTHER" };
        let entry = counts.entry((method.to_string(), route, status.as_u16())).or_default();
        entry.0 += 1;
        entry.1 += took.as_secs_f64();
    }

    fn render(&self, out: &mut String) {
        let counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP nudge_http_requests_total HTTP requests served, by method, route and status.");
        let _ = writeln!(out, "# TYPE nudge_http_requests_total counter");
        for ((method, route, status), (n, _)) in counts.iter() {
            let _ = writeln!(
                out,
                "nudge_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP nudge_http_request_seconds_total Time spent serving HTTP requests.");
        let _ = writeln!(out, "# TYPE nudge_http_request_seconds_total counter");
        for ((method, route, status), (_, seconds)) in counts.iter() {
            let _ = writeln!(
                out,
                "nudge_http_request_seconds_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {seconds}"
            );
        }
    }
}

/// The whole `/metrics` page: plugin metering, notices by state, incidents,
/// delivery errors, the schedule, and HTTP requests.
pub fn render(scheduler: &Scheduler, http: &HttpMetrics) -> nudge_scheduler::Result<String> {
    let store = scheduler.store();
    let mut out = scheduler.runtime().metrics().render();
    let mut states: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut incidents = 0u64;
    let tenants = store.tenants()?;
    for tenant in &tenants {
        for notice in store.notices(&tenant.id)? {
            *states.entry(notice.state.as_str()).or_default() += 1;
        }
        incidents += store.incidents(&tenant.id)?.len() as u64;
    }
    let _ = writeln!(out, "# HELP nudge_tenants Tenants on this host.");
    let _ = writeln!(out, "# TYPE nudge_tenants gauge");
    let _ = writeln!(out, "nudge_tenants {}", tenants.len());
    let _ = writeln!(out, "# HELP nudge_notices Notices in the store, by state, all tenants together.");
    let _ = writeln!(out, "# TYPE nudge_notices gauge");
    for (state, n) in &states {
        let _ = writeln!(out, "nudge_notices{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP nudge_incidents Plugin incidents recorded, all tenants together.");
    let _ = writeln!(out, "# TYPE nudge_incidents gauge");
    let _ = writeln!(out, "nudge_incidents {incidents}");
    let _ = writeln!(out, "# HELP nudge_delivery_errors_total Failed delivery attempts since start, by channel.");
    let _ = writeln!(out, "# TYPE nudge_delivery_errors_total counter");
    for (channel, n) in scheduler.delivery_errors() {
        let _ = writeln!(out, "nudge_delivery_errors_total{{channel=\"{channel}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP nudge_scheduled_entries Evaluations and sends waiting in the schedule.");
    let _ = writeln!(out, "# TYPE nudge_scheduled_entries gauge");
    let _ = writeln!(out, "nudge_scheduled_entries {}", store.scheduled_len());
    http.render(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_label_and_extension_methods_share_one() {
        let metrics = HttpMetrics::default();
        metrics.count(&Method::GET, "/healthz", StatusCode::OK, Duration::from_millis(2));
        metrics.count(&Method::GET, "/healthz", StatusCode::OK, Duration::from_millis(2));
        metrics.count(&Method::from_bytes(b"BREW").unwrap(), "unknown", StatusCode::NOT_FOUND, Duration::ZERO);
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains("nudge_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"), "{out}");
        assert!(out.contains("method=\"OTHER\",route=\"unknown\",status=\"404\"} 1") && !out.contains("BREW"), "{out}");
    }
}
