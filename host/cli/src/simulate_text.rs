//! `nudge plugin simulate` as text for a person: figures, tables per step
//! and per segment, and what would change.

use nudge_scheduler::{
    Changes,
    breakdown::NoticeFigures,
    changes::{CountChange, StepChanges},
};

use crate::simulate::{Run, SimulationReport};

/// The report as text.
pub fn render(r: &SimulationReport) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("nudge plugin simulate: replay of {} from {} to {}", r.data, r.replay_from, r.replay_until));
    run(&mut line, "simulated", &r.simulated);
    if let (Some(against), Some(changes)) = (&r.against, &r.changes) {
        line(String::new());
        run(&mut line, "against", against);
        line(String::new());
        compare(&mut line, &r.simulated, against, changes);
    }
    line(
        "(scheduled: notices the policy asked for; paid first: not sent because payment came before the send time; \
         other: not sent for another reason or failed; paid within 7d: sent notices followed by payment within 7 days)"
            .into(),
    );
    line(format!("done in {:.1} s", r.elapsed_ms as f64 / 1000.0));
    out
}

fn run(line: &mut impl FnMut(String), title: &str, run: &Run) {
    let s = &run.summary;
    let b = &run.breakdown;
    line(format!("{title}: {} with configuration {}", run.plugin, run.config));
    line(format!(
        "  {} invoices from {} customers; {} paid, {} disputed, {} escalated to support",
        s.invoices, s.customers, s.invoices_paid, s.disputed, s.escalated
    ));
    let actions: Vec<String> = b.decisions.iter().map(|(k, v)| format!("{k} {v}")).collect();
    line(format!("  {} decisions: {}", s.decisions, actions.join(", ")));
    line(format!(
        "  {} notices sent, {} suppressed because the invoice was paid first; {:.1}% followed by payment within 7 days",
        s.notices_sent,
        s.suppressed_by_payment,
        s.paid_within_7d_of_notice_rate * 100.0
    ));
    let kinds: Vec<String> = s.incidents_by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if s.incidents > 0 {
        line(format!(
            "  {} plugin incidents ({}): those decisions fell back to another policy; see `nudge incidents` after an upload",
            s.incidents,
            kinds.join(", ")
        ));
    }
    line(format!("  {}", s.guardrails()));
    line(format!(
        "  {:<16} {:>9} {:>9} {:>7} {:>10} {:>7} {:>16}",
        "by step", "", "scheduled", "sent", "paid first", "other", "paid within 7d"
    ));
    for (step, f) in &b.by_step {
        line(figures(step, None, f));
    }
    line(format!(
        "  {:<16} {:>9} {:>9} {:>7} {:>10} {:>7} {:>16}",
        "by segment", "decisions", "scheduled", "sent", "paid first", "other", "paid within 7d"
    ));
    let segments: Vec<&String> = b.decisions_by_segment.keys().chain(b.by_segment.keys()).collect();
    let segments: std::collections::BTreeSet<&String> = segments.into_iter().collect();
    let empty = NoticeFigures::default();
    for segment in segments {
        let decisions = b.decisions_by_segment.get(segment).map_or(0, |d| d.values().sum());
        line(figures(segment, Some(decisions), b.by_segment.get(segment).unwrap_or(&empty)));
    }
}

fn figures(name: &str, decisions: Option<usize>, f: &NoticeFigures) -> String {
    format!(
        "    {:<14} {:>9} {:>9} {:>7} {:>10} {:>7} {:>8} ({:>4.1}%)",
        name,
        decisions.map(|d| d.to_string()).unwrap_or_default(),
        f.scheduled,
        f.sent,
        f.suppressed_by_payment,
        f.suppressed_other + f.failed,
        f.paid_within_7d,
        f.paid_within_7d_rate * 100.0
    )
}

fn compare(line: &mut impl FnMut(String), new: &Run, old: &Run, c: &Changes) {
    let (n, o) = (&new.summary, &old.summary);
    line("if the simulated policy replaced the other one:".into());
    line(format!(
        "  notices sent {} -> {}; suppressed by payment {} -> {}; paid within 7 days {:.1}% -> {:.1}%; escalated {} -> {}",
        o.notices_sent,
        n.notices_sent,
        o.suppressed_by_payment,
        n.suppressed_by_payment,
        o.paid_within_7d_of_notice_rate * 100.0,
        n.paid_within_7d_of_notice_rate * 100.0,
        o.escalated,
        n.escalated
    ));
    line(format!("  {} of {} invoices with notices would change", c.invoices_changed, c.invoices_with_notices));
    if c.invoices_changed == 0 {
        return;
    }
    line(format!("  {:<16} {:>7} {:>7} {:>7} {:>7}", "by step", "added", "removed", "changed", "retimed"));
    for (step, s) in &c.by_step {
        let StepChanges { added, removed, changed, retimed } = s;
        line(format!("    {step:<14} {added:>7} {removed:>7} {changed:>7} {retimed:>7}"));
    }
    for (title, counts) in [("by channel", &c.by_channel), ("by tone", &c.by_tone)] {
        line(format!("  {title:<16} {:>7} {:>7} {:>7} {:>7}", "before", "after", "gained", "lost"));
        for (key, k) in counts.iter().filter(|(_, k)| k.before + k.after > 0) {
            count_line(line, key, k);
        }
    }
    line(format!("  first {} changed invoices (before -> after):", c.examples.len()));
    for e in &c.examples {
        line(format!("    invoice {}", e.invoice));
        line(format!("      before: {}", list(&e.before)));
        line(format!("      after:  {}", list(&e.after)));
    }
}

fn count_line(line: &mut impl FnMut(String), key: &str, k: &CountChange) {
    line(format!("    {key:<14} {:>7} {:>7} {:>7} {:>7}", k.before, k.after, k.gained, k.lost));
}

fn list(notices: &[String]) -> String {
    if notices.is_empty() { "no notices".into() } else { notices.join("; ") }
}
