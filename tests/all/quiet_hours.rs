//! Quiet hours move sends, in the customer's zone, and nothing goes out in them.

use nudge_core::{EventKind, SendWindow, TenantSettings};

use crate::{
    harness::replay,
    outbox_check::{read_outbox, settlements, violations_in},
};

#[test]
fn a_narrow_send_window_moves_every_send_into_it() {
    // The standard policy asks for 10:00 local; this tenant only allows 13:00-15:00.
    let window = SendWindow::new(13, 15).unwrap();
    let run =
        replay(300, TenantSettings { send_window: window, ..TenantSettings::default() }, nudge_bundle::STANDARD_POLICY);
    let summary = &run.summary;
    assert!(summary.notices_sent > 20, "{summary:?}");
    assert_eq!(summary.sent_in_quiet_hours, 0);
    assert!(
        summary.moved_out_of_quiet_hours >= summary.notices_sent,
        "every send was asked for 10:00 local and had to move: {summary:?}"
    );
    let events = run.scheduler.store().events(&run.tenant).unwrap();
    let moved = events.iter().find_map(|e| match &e.kind {
        EventKind::NoticeScheduled { send_at, moved_from: Some(from), .. } => Some((*from, *send_at)),
        _ => None,
    });
    let (requested, moved_to) = moved.expect("a moved notice is recorded with its requested time");
    assert!(moved_to > requested, "sends only ever move later");

    let delivered = read_outbox(&run.dir.path().join("outbox"));
    assert_eq!(delivered.len(), summary.messages_sent);
    let problems = violations_in(&delivered, &settlements(&run.csv), window);
    assert!(problems.is_empty(), "{problems:#?}");
}
