//! Prometheus metrics, hand-written (counters and histograms in the text
//! exposition format 0.0.4; no dependency needed for this much).
//!
//! Per server ([`Metrics`] in `AppState`): requests by route, method and
//! status and their latency, audit duration, rate-limit rejections, store
//! latency, the CPU pool's running and waiting jobs and its refusals.
//! Process-wide (the resolver and the probe have no server state): DNS
//! queries by outcome, SMTP probes by outcome. `GET /metrics` renders both.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Histogram bucket upper bounds in seconds (Prometheus' defaults plus 30 s,
/// the audit deadline).
pub const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A histogram of durations.
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len() + 1];
        }
        let secs = d.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[slot] += 1;
        self.sum += secs;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// One server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (route, method, status) → count.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route → latency.
    latency: Mutex<BTreeMap<String, Histogram>>,
    audits: Mutex<Histogram>,
    rate_limited: AtomicU64,
    /// store operation → latency; the bool is "failed".
    store: Mutex<BTreeMap<(&'static str, bool), Histogram>>,
}

/// Process-wide counters by outcome.
#[derive(Debug, Default)]
struct Outcomes(Mutex<BTreeMap<&'static str, u64>>);

impl Outcomes {
    fn add(&self, outcome: &'static str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(outcome)
            .or_default() += 1;
    }
}

static DNS: LazyLock<Outcomes> = LazyLock::new(Outcomes::default);
static SMTP: LazyLock<Outcomes> = LazyLock::new(Outcomes::default);

/// Counts one DNS query sent to the network, by outcome (`records`,
/// `nodata`, `nxdomain`, `servfail`, `timeout`).
pub fn dns_query(outcome: &'static str) {
    DNS.add(outcome);
}

/// Counts one SMTP probe, by outcome (`refused_by_guard`, `connect_failed`,
/// `timeout`, `banner_failed`, `ehlo_failed`, `no_starttls`,
/// `starttls_failed`, `tls_ok`).
pub fn smtp_probe(outcome: &'static str) {
    SMTP.add(outcome);
}

/// The route label: the route template, so ids do not explode the
/// series count. Anything else is `/api/other` or `frontend`.
pub fn route_label(path: &str) -> &'static str {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["", "healthz"] => "/healthz",
        ["", "metrics"] => "/metrics",
        ["", "api", "analyze"] => "/api/analyze",
        ["", "api", "dkim-key"] => "/api/dkim-key",
        ["", "api", "audits"] => "/api/audits",
        ["", "api", "audits", _] => "/api/audits/{id}",
        ["", "api", "audits", _, "events"] => "/api/audits/{id}/events",
        ["", "api", "reports"] => "/api/reports",
        ["", "api", "reports", _] => "/api/reports/{id}",
        ["", "api", "openapi.json"] => "/api/openapi.json",
        ["", "api", ..] => "/api/other",
        ["", "r", _] => "/r/{id}",
        _ => "frontend",
    }
}

/// The method label: one of a fixed set, so client-chosen methods (RFC 9110
/// §9.1 allows any token) cannot create new series (#19 M3).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts one request and its latency.
    pub fn request(&self, route: &str, method: &str, status: u16, latency: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(route.to_string())
            .or_default()
            .observe(latency);
    }

    /// Records one finished audit.
    pub fn audit(&self, took: Duration) {
        self.audits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(took);
    }

    /// Counts one request refused by the rate limiter.
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Times a store operation.
    pub async fn store<T, E>(
        &self,
        operation: &'static str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let started = Instant::now();
        let result = fut.await;
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((operation, result.is_err()))
            .or_default()
            .observe(started.elapsed());
        result
    }

    /// The text exposition of this server's and the process's metrics.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP mxlens_http_requests_total HTTP requests by route template, method and status.\n# TYPE mxlens_http_requests_total counter\n");
        for ((route, method, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "mxlens_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str("# HELP mxlens_http_request_duration_seconds HTTP request latency by route template, to the response head.\n# TYPE mxlens_http_request_duration_seconds histogram\n");
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            h.render(
                &mut out,
                "mxlens_http_request_duration_seconds",
                &format!("route=\"{}\"", escape(route)),
            );
        }
        out.push_str("# HELP mxlens_audit_duration_seconds Wall time of finished domain audits.\n# TYPE mxlens_audit_duration_seconds histogram\n");
        self.audits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .render(&mut out, "mxlens_audit_duration_seconds", "");
        out.push_str("# HELP mxlens_rate_limited_total Requests refused by the per-client rate limit (429).\n# TYPE mxlens_rate_limited_total counter\n");
        let _ = writeln!(
            out,
            "mxlens_rate_limited_total {}",
            self.rate_limited.load(Ordering::Relaxed)
        );
        out.push_str("# HELP mxlens_store_operation_duration_seconds Report store latency by operation and result.\n# TYPE mxlens_store_operation_duration_seconds histogram\n");
        for ((operation, failed), h) in self.store.lock().unwrap_or_else(|p| p.into_inner()).iter()
        {
            let result = if *failed { "error" } else { "ok" };
            h.render(
                &mut out,
                "mxlens_store_operation_duration_seconds",
                &format!("operation=\"{operation}\",result=\"{result}\""),
            );
        }
        out.push_str("# HELP mxlens_dns_queries_total DNS queries sent (after per-audit deduplication) by outcome, process-wide.\n# TYPE mxlens_dns_queries_total counter\n");
        for (outcome, n) in DNS.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "mxlens_dns_queries_total{{outcome=\"{outcome}\"}} {n}");
        }
        out.push_str("# HELP mxlens_smtp_probes_total SMTP probes by outcome, process-wide.\n# TYPE mxlens_smtp_probes_total counter\n");
        for (outcome, n) in SMTP.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "mxlens_smtp_probes_total{{outcome=\"{outcome}\"}} {n}");
        }
        out
    }
}

/// Middleware: counts every request by route template, method and status.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route_label(request.uri().path());
    let method = method_label(request.method());
    let response = next.run(request).await;
    // Only the per-client rate limiter answers 429 (`AppError::RateLimited`).
    if response.status() == axum::http::StatusCode::TOO_MANY_REQUESTS {
        metrics.rate_limited();
    }
    metrics.request(route, method, response.status().as_u16(), started.elapsed());
    response
}

/// The CPU pool's gauges and refusals (`--cpu-queue`).
pub fn render_cpu(out: &mut String, cpu: &crate::cpu::CpuPool) {
    let _ = write!(
        out,
        "# HELP mxlens_cpu_jobs_running Analyses and renderings running (at most one per CPU).\n\
         # TYPE mxlens_cpu_jobs_running gauge\nmxlens_cpu_jobs_running {}\n\
         # HELP mxlens_cpu_jobs_waiting Analyses and renderings waiting for a CPU.\n\
         # TYPE mxlens_cpu_jobs_waiting gauge\nmxlens_cpu_jobs_waiting {}\n\
         # HELP mxlens_cpu_queue_limit The most jobs allowed to wait (--cpu-queue).\n\
         # TYPE mxlens_cpu_queue_limit gauge\nmxlens_cpu_queue_limit {}\n\
         # HELP mxlens_cpu_busy_total Jobs refused with 503 busy because the queue was full.\n\
         # TYPE mxlens_cpu_busy_total counter\nmxlens_cpu_busy_total {}\n",
        cpu.running(),
        cpu.waiting(),
        cpu.queue_limit(),
        cpu.refused()
    );
}

/// `GET /metrics`.
pub async fn serve(State(state): State<crate::AppState>) -> Response {
    let mut text = state.metrics.render();
    render_cpu(&mut text, &state.cpu);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates() {
        for (path, want) in [
            ("/api/audits/abc123", "/api/audits/{id}"),
            ("/api/audits/abc123/events", "/api/audits/{id}/events"),
            ("/api/reports/x", "/api/reports/{id}"),
            ("/r/x", "/r/{id}"),
            ("/api/analyze", "/api/analyze"),
            ("/api/whatever/else", "/api/other"),
            ("/index.html", "frontend"),
            ("/", "frontend"),
        ] {
            assert_eq!(route_label(path), want, "{path}");
        }
    }

    #[test]
    fn renders_histograms_cumulatively() {
        let m = Metrics::default();
        m.request("/api/analyze", "POST", 200, Duration::from_millis(3));
        m.request("/api/analyze", "POST", 200, Duration::from_millis(300));
        let text = m.render();
        assert!(text.contains(
            "mxlens_http_requests_total{route=\"/api/analyze\",method=\"POST\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "mxlens_http_request_duration_seconds_bucket{route=\"/api/analyze\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "mxlens_http_request_duration_seconds_bucket{route=\"/api/analyze\",le=\"0.5\"} 2"
        ));
        assert!(
            text.contains("mxlens_http_request_duration_seconds_count{route=\"/api/analyze\"} 2")
        );
        assert!(text.contains("mxlens_audit_duration_seconds_count 0"));
    }
}
