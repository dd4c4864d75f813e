//! The report as text for a terminal, as CSV, and as a self-contained HTML
//! page with its charts drawn in inline SVG (no script, no external file).

use std::fmt::Write as _;

use crate::{Curve, DIMENSIONS, Kpis, Ratio, Report};

/// The KPI columns, in order: name and how to read it off a [`Kpis`].
const COLUMNS: [(&str, Column); 11] = [
    ("notices sent", Column::Count(|k| k.notices_sent)),
    ("delivery", Column::Rate(|k| k.delivery_rate)),
    ("open", Column::Rate(|k| k.open_rate)),
    ("click to pay", Column::Rate(|k| k.click_to_pay_rate)),
    ("paid ≤7d of 1st", Column::Rate(|k| k.paid_within_7d_of_first_notice)),
    ("negative fb", Column::Rate(|k| k.negative_feedback_rate)),
    ("opt-out", Column::Rate(|k| k.opt_out_rate)),
    ("churn", Column::Rate(|k| k.churn_after_notice)),
    ("notices/paid", Column::Number(|k| k.notices_per_paid_invoice)),
    ("DSO days", Column::Number(|k| k.dso_days)),
    ("days late", Column::Number(|k| k.avg_days_late)),
];

/// The machine names of the KPIs, as CSV and JSON use them, in column order.
pub const KPI_NAMES: [&str; 11] = [
    "notices_sent",
    "delivery_rate",
    "open_rate",
    "click_to_pay_rate",
    "paid_within_7d_of_first_notice",
    "negative_feedback_rate",
    "opt_out_rate",
    "churn_after_notice",
    "notices_per_paid_invoice",
    "dso_days",
    "avg_days_late",
];

#[derive(Clone, Copy)]
enum Column {
    Count(fn(&Kpis) -> u64),
    Rate(fn(&Kpis) -> Ratio),
    Number(fn(&Kpis) -> Option<f64>),
}

impl Column {
    fn text(self, k: &Kpis) -> String {
        match self {
            Column::Count(f) => f(k).to_string(),
            Column::Rate(f) => f(k).value().map_or("-".into(), |v| format!("{:.1}%", v * 100.0)),
            Column::Number(f) => f(k).map_or("-".into(), |v| format!("{v:.1}")),
        }
    }
}

/// The report for a terminal: totals, each slice, experiments, incidents.
pub fn text(report: &Report, tenant: &str) -> String {
    let mut out = String::new();
    let as_of = report.as_of.map_or("-".into(), |t| t.to_string());
    let _ = writeln!(
        out,
        "report for tenant {tenant}, as of {as_of} ({} events, {} invoices)",
        report.events, report.invoices
    );
    let mut rows = vec![("all".to_string(), "all".to_string(), &report.totals)];
    for dim in DIMENSIONS {
        if let Some(values) = report.slices.get(dim) {
            rows.extend(values.iter().map(|(v, k)| (dim.to_string(), v.clone(), k)));
        }
    }
    let mut table: Vec<Vec<String>> = vec![
        ["dimension", "value"]
            .iter()
            .map(|s| s.to_string())
            .chain(COLUMNS.iter().map(|(n, _)| n.to_string()))
            .collect(),
    ];
    for (dim, value, k) in rows {
        let mut row = vec![dim, value];
        row.extend(COLUMNS.iter().map(|(_, c)| c.text(k)));
        table.push(row);
    }
    write_table(&mut out, &table);
    if !report.experiments.is_empty() {
        let _ = writeln!(out, "\nexperiments (outcome: paid within 7 days of the first notice)");
        for e in &report.experiments {
            let _ = writeln!(out, "  {} (control `{}`)", e.name, e.control);
            for a in &e.arms {
                let r = a.kpis.paid_within_7d_of_first_notice;
                let ci = a.ci95.map_or("-".into(), |(lo, hi)| format!("{:.1}–{:.1}%", lo * 100.0, hi * 100.0));
                let p = a.vs_control.map_or(String::new(), |c| format!(", p = {:.4}", c.p_value));
                let _ = writeln!(
                    out,
                    "    {:<16} {:>6} customers  {:>5}/{:<5} {:>6}  95% CI {ci}{p}",
                    a.arm,
                    a.customers,
                    r.numerator,
                    r.denominator,
                    r.value().map_or("-".into(), |v| format!("{:.1}%", v * 100.0)),
                );
            }
            let _ = writeln!(out, "    verdict: {}", e.verdict);
        }
    }
    let incidents: u64 = report.incidents_by_kind.values().sum();
    let _ = write!(out, "\nplugin incidents: {incidents}");
    for (kind, n) in &report.incidents_by_kind {
        let _ = write!(out, ", {kind} {n}");
    }
    out.push('\n');
    out
}

fn write_table(out: &mut String, table: &[Vec<String>]) {
    let widths: Vec<usize> =
        (0..table[0].len()).map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i] - c.chars().count();
                if i < 2 { format!("{c}{}", " ".repeat(pad)) } else { format!("{}{c}", " ".repeat(pad)) }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
}

/// The KPIs as CSV, one row per slice and KPI:
/// `dimension,value,kpi,numerator,denominator,value` (rates have numerator
/// and denominator; counts and averages only a value). The totals are
/// dimension `all`.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("dimension,value,kpi,numerator,denominator,result\n");
    let mut slices = vec![("all", "all", &report.totals)];
    for dim in DIMENSIONS {
        if let Some(values) = report.slices.get(dim) {
            slices.extend(values.iter().map(|(v, k)| (dim, v.as_str(), k)));
        }
    }
    for (dim, value, k) in slices {
        for (name, (_, column)) in KPI_NAMES.iter().zip(COLUMNS) {
            let (num, den, result) = match column {
                Column::Count(f) => (String::new(), String::new(), f(k).to_string()),
                Column::Rate(f) => {
                    let r = f(k);
                    (
                        r.numerator.to_string(),
                        r.denominator.to_string(),
                        r.value().map_or(String::new(), |v| format!("{v:.6}")),
                    )
                }
                Column::Number(f) => (String::new(), String::new(), f(k).map_or(String::new(), |v| format!("{v:.6}"))),
            };
            let _ = writeln!(out, "{},{},{name},{num},{den},{result}", csv_field(dim), csv_field(value));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Series colours, distinguishable and fixed so tests can look for them.
pub const PALETTE: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/// One data series of a line chart: label, colour and (x, y) points.
struct Series<'a> {
    label: String,
    colour: &'a str,
    points: Vec<(f64, f64)>,
}

/// A line chart in SVG. `y_max` fixes the y scale (shares: 1.0).
fn line_chart(
    id: &str,
    title: &str,
    x_label: &str,
    series: &[Series<'_>],
    y_max: Option<f64>,
    percent: bool,
) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 300.0, 56.0, 16.0, 28.0, 40.0);
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (x_min, x_max) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (x_min, x_max) = if x_min > x_max {
        (0.0, 1.0)
    } else if x_min == x_max {
        (x_min - 1.0, x_max + 1.0)
    } else {
        (x_min, x_max)
    };
    let y_top = y_max.unwrap_or_else(|| {
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0_f64, f64::max).max(1e-9) * 1.1
    });
    let sx = |x: f64| left + (x - x_min) / (x_max - x_min) * (w - left - right);
    let sy = |y: f64| top + (1.0 - y / y_top) * (h - top - bottom);
    let points: usize = series.iter().map(|s| s.points.len()).sum();
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" data-series=\"{}\" data-points=\"{points}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        series.len(),
        escape(title)
    );
    let _ = write!(svg, "<text x=\"{left}\" y=\"18\" class=\"title\">{}</text>", escape(title));
    for i in 0..=4 {
        let y = y_top * f64::from(i) / 4.0;
        let label = if percent { format!("{:.0}%", y * 100.0) } else { format!("{y:.0}") };
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{0}\" y1=\"{1:.1}\" y2=\"{1:.1}\" class=\"grid\"/><text x=\"{2}\" y=\"{3:.1}\" class=\"axis\" text-anchor=\"end\">{label}</text>",
            w - right,
            sy(y),
            left - 6.0,
            sy(y) + 4.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text><text x=\"{left}\" y=\"{}\" class=\"axis\">{x_min:.0}</text><text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{x_max:.0}</text>",
        (left + w - right) / 2.0,
        h - 6.0,
        escape(x_label),
        h - bottom + 16.0,
        w - right,
        h - bottom + 16.0
    );
    for s in series {
        let path: Vec<String> = s.points.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y))).collect();
        let _ = write!(
            svg,
            "<polyline class=\"series\" data-label=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\" points=\"{}\"><title>{}</title></polyline>",
            escape(&s.label),
            s.colour,
            path.join(" "),
            escape(&s.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One bar: its label, its value and an optional interval around it.
type Bar = (String, f64, Option<(f64, f64)>);

/// A bar chart with optional error bars, in SVG.
fn bar_chart(id: &str, title: &str, bars: &[Bar], percent: bool) -> String {
    let (w, h, left, top, bottom) = (720.0, 260.0, 56.0, 28.0, 48.0);
    let y_top = bars.iter().map(|b| b.2.map_or(b.1, |(_, hi)| hi.max(b.1))).fold(0.0_f64, f64::max).max(1e-9) * 1.1;
    let y_top = if percent { y_top.min(1.0) } else { y_top };
    let sy = |y: f64| top + (1.0 - y / y_top) * (h - top - bottom);
    let slot = (w - left - 16.0) / bars.len().max(1) as f64;
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" data-bars=\"{}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        bars.len(),
        escape(title)
    );
    let _ = write!(svg, "<text x=\"{left}\" y=\"18\" class=\"title\">{}</text>", escape(title));
    let _ =
        write!(svg, "<line x1=\"{left}\" x2=\"{0}\" y1=\"{1:.1}\" y2=\"{1:.1}\" class=\"grid\"/>", w - 16.0, sy(0.0));
    for (i, (label, value, ci)) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        let bw = slot * 0.7;
        let colour = PALETTE[i % PALETTE.len()];
        let shown = if percent { format!("{:.1}%", value * 100.0) } else { format!("{value:.0}") };
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-label=\"{}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {shown}</title></rect>",
            escape(label),
            sy(*value),
            (sy(0.0) - sy(*value)).max(0.0),
            escape(label)
        );
        if let Some((lo, hi)) = ci {
            let cx = x + bw / 2.0;
            let _ = write!(
                svg,
                "<path class=\"ci\" d=\"M{cx:.1},{:.1}V{:.1}M{:.1},{:.1}H{:.1}M{:.1},{:.1}H{:.1}\" stroke=\"#222\" stroke-width=\"1.5\"/>",
                sy(*lo),
                sy(*hi),
                cx - 6.0,
                sy(*lo),
                cx + 6.0,
                cx - 6.0,
                sy(*hi),
                cx + 6.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            x + bw / 2.0,
            h - bottom + 16.0,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn curve_series(curves: &[Curve]) -> Vec<Series<'static>> {
    curves
        .iter()
        .enumerate()
        .map(|(i, c)| Series {
            label: format!("{} ({} invoices)", c.label, c.invoices),
            colour: PALETTE[i % PALETTE.len()],
            points: c.paid.iter().enumerate().map(|(d, y)| (f64::from(c.first_day) + d as f64, *y)).collect(),
        })
        .collect()
}

/// The report as one HTML page: KPI cards, trends by cohort, payment
/// curves, experiments with confidence intervals, every slice and the
/// incidents. Self-contained: inline CSS and SVG, no script, nothing fetched.
pub fn html(report: &Report, tenant: &str) -> String {
    let t = &report.totals;
    let pct = |r: Ratio| r.value().map_or("–".into(), |v| format!("{:.1}%", v * 100.0));
    let num = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.1}"));
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nudge report: {}</title><style>{STYLE}</style></head><body>",
        escape(tenant)
    );
    let as_of = report.as_of.map_or("–".into(), |t| t.to_string());
    let _ = write!(
        page,
        "<header><h1>nudge — {}</h1><p>as of {} · {} events · {} invoices</p></header>",
        escape(tenant),
        escape(&as_of),
        report.events,
        report.invoices
    );
    let cards = [
        ("notices sent", t.notices_sent.to_string()),
        ("paid within 7 days of first notice", pct(t.paid_within_7d_of_first_notice)),
        ("delivery rate", pct(t.delivery_rate)),
        ("open rate", pct(t.open_rate)),
        ("click to pay", pct(t.click_to_pay_rate)),
        ("negative feedback", pct(t.negative_feedback_rate)),
        ("opt-out rate", pct(t.opt_out_rate)),
        ("churn after notice", pct(t.churn_after_notice)),
        ("notices per paid invoice", num(t.notices_per_paid_invoice)),
        ("DSO (days)", num(t.dso_days)),
        ("average days late", num(t.avg_days_late)),
        ("plugin incidents", report.incidents_by_kind.values().sum::<u64>().to_string()),
    ];
    page.push_str("<section id=\"kpis\" class=\"cards\">");
    for (label, value) in cards {
        let _ = write!(
            page,
            "<div class=\"card\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
            escape(&value),
            escape(label)
        );
    }
    page.push_str("</section>");

    // Trends by cohort (issue month).
    let cohorts = report.slices.get("cohort");
    let trend = |f: fn(&Kpis) -> Option<f64>| -> Vec<(f64, f64)> {
        cohorts
            .map(|c| c.values().enumerate().filter_map(|(i, k)| f(k).map(|v| (i as f64, v))).collect())
            .unwrap_or_default()
    };
    let months: Vec<&String> = cohorts.map(|c| c.keys().collect()).unwrap_or_default();
    let axis = match (months.first(), months.last()) {
        (Some(a), Some(b)) => format!("invoice cohort, {a} to {b}"),
        _ => "invoice cohort".into(),
    };
    page.push_str("<h2>Trends</h2>");
    page.push_str(&line_chart(
        "trend-paid",
        "Paid within 7 days of the first notice, by invoice month",
        &axis,
        &[Series {
            label: "paid within 7 days".into(),
            colour: PALETTE[0],
            points: trend(|k| k.paid_within_7d_of_first_notice.value()),
        }],
        Some(1.0),
        true,
    ));
    page.push_str(&line_chart(
        "trend-late",
        "Average days late and DSO, by invoice month",
        &axis,
        &[
            Series { label: "average days late".into(), colour: PALETTE[1], points: trend(|k| k.avg_days_late) },
            Series { label: "DSO".into(), colour: PALETTE[2], points: trend(|k| k.dso_days) },
        ],
        None,
        false,
    ));

    page.push_str("<h2>Payment curves</h2><p>Share of invoices paid by each day since the due date.</p>");
    // The latest cohorts only, so the lines stay readable; all are in the JSON and CSV.
    let recent: Vec<Curve> = report.cohort_curves.iter().rev().take(PALETTE.len()).rev().cloned().collect();
    page.push_str(&line_chart(
        "curves-cohort",
        "By invoice month (latest eight)",
        "days since due",
        &curve_series(&recent),
        Some(1.0),
        true,
    ));
    if !report.arm_curves.is_empty() {
        page.push_str(&line_chart(
            "curves-arm",
            "By experiment arm",
            "days since due",
            &curve_series(&report.arm_curves),
            Some(1.0),
            true,
        ));
    }

    page.push_str("<h2>Experiments</h2>");
    if report.experiments.is_empty() {
        page.push_str("<p id=\"no-experiments\">No experiment has reached a customer yet.</p>");
    }
    for (i, e) in report.experiments.iter().enumerate() {
        let _ = write!(page, "<h3>{} <small>control: {}</small></h3>", escape(&e.name), escape(&e.control));
        let bars: Vec<Bar> = e
            .arms
            .iter()
            .map(|a| (a.arm.clone(), a.kpis.paid_within_7d_of_first_notice.value().unwrap_or(0.0), a.ci95))
            .collect();
        page.push_str(&bar_chart(
            &format!("experiment-{i}"),
            "Paid within 7 days of the first notice, 95% CI",
            &bars,
            true,
        ));
        page.push_str(
            "<table><tr><th>arm</th><th>customers</th><th>paid ≤7d</th><th>95% CI</th><th>p vs control</th></tr>",
        );
        for a in &e.arms {
            let r = a.kpis.paid_within_7d_of_first_notice;
            let ci = a.ci95.map_or("–".into(), |(lo, hi)| format!("{:.1}% – {:.1}%", lo * 100.0, hi * 100.0));
            let p = a.vs_control.map_or("–".into(), |c| format!("{:.4}", c.p_value));
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{} ({}/{})</td><td>{ci}</td><td>{p}</td></tr>",
                escape(&a.arm),
                a.customers,
                pct(r),
                r.numerator,
                r.denominator
            );
        }
        let _ = write!(
            page,
            "</table><p class=\"verdict {}\">{}</p>",
            if e.conclusive { "conclusive" } else { "inconclusive" },
            escape(&e.verdict)
        );
    }

    page.push_str("<h2>By slice</h2>");
    for dim in DIMENSIONS {
        let Some(values) = report.slices.get(dim) else { continue };
        let _ = write!(page, "<h3>{dim}</h3><table class=\"slice\" data-dimension=\"{dim}\"><tr><th>{dim}</th>");
        for (name, _) in COLUMNS {
            let _ = write!(page, "<th>{}</th>", escape(name));
        }
        page.push_str("</tr>");
        for (value, k) in values {
            let _ = write!(page, "<tr><td>{}</td>", escape(value));
            for (_, c) in COLUMNS {
                let _ = write!(page, "<td>{}</td>", escape(&c.text(k)));
            }
            page.push_str("</tr>");
        }
        page.push_str("</table>");
    }

    page.push_str("<h2>Incidents</h2>");
    if report.incidents_by_kind.is_empty() {
        page.push_str("<p id=\"no-incidents\">No plugin incidents.</p>");
    } else {
        let bars: Vec<Bar> = report.incidents_by_month.iter().map(|(m, n)| (m.clone(), *n as f64, None)).collect();
        page.push_str(&bar_chart("incidents", "Plugin incidents by month", &bars, false));
        page.push_str("<table><tr><th>kind</th><th>incidents</th></tr>");
        for (kind, n) in &report.incidents_by_kind {
            let _ = write!(page, "<tr><td>{}</td><td>{n}</td></tr>", escape(kind));
        }
        page.push_str("</table>");
    }
    page.push_str("<footer>Definitions of every figure: the nudge-analytics crate documentation (README, \"Reports\").</footer></body></html>\n");
    page
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fff}\
h1{margin:0}header p{color:#666;margin:4px 0 16px}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}\
.card{border:1px solid #ddd;border-radius:6px;padding:12px}.card .value{font-size:24px;font-weight:600}\
.card .label{color:#666;font-size:13px}\
.chart{display:block;margin:12px 0;max-width:100%;height:auto}.chart .title{font-size:14px;font-weight:600}\
.chart .axis{font-size:11px;fill:#555}.chart .grid{stroke:#e5e5e5}\
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}.verdict{font-weight:600}.inconclusive{color:#8a6d00}\
footer{margin-top:32px;color:#888;font-size:12px}";
