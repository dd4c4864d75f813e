//! What a hostile decision hands back: oversized strings and lists, labels
//! the host cannot store, and values out of range. Each is refused as an
//! invalid decision whose message names the problem (or, where the value
//! cannot even be lifted, a trap), while another tenant decides meanwhile.
//!
//! Deeply nested values cannot be sent: the WIT world has no recursive
//! types, so a decision is never deeper than `result<decision>` → `action`
//! → `notify` → `fields` → `tuple`. What a plugin controls is breadth and
//! size (fields, strings, lists), covered here; nesting attacks are on the
//! types of a component, refused at upload (`hostile_load`).

use nudge_core::IncidentKind;

use crate::{
    alloc_meter::allocated_during,
    encode::{Code, CoreModule, canned_describe, layout, policy_module, words},
    hostile_support::{DUE, SMS_ONLY, assert_fails, encoded_with, hostile, limits},
};

// ---- what a decision hands back ----

/// A decide body that grows memory by `pages` and returns the result at `at`.
fn grow_and_return(pages: i32, at: i32) -> Code {
    Code::new().i32_const(pages).memory_grow().drop_().i32_const(at).end()
}

/// An ok `notify` result at `at` in memory, laid out as the canonical ABI
/// lays out `result<decision, policy-error>`; `decide` must still store
/// `now` at `at + 24` (the send time). Segment "wat", email, friendly, step
/// "canned", and the given template fields list.
fn notify_result(module: &mut CoreModule, at: i32, fields: (i32, i32)) {
    let mut result = vec![0u8; 72];
    result[8..16].copy_from_slice(&words(&[layout::STRINGS, 3])); // segment
    result[16] = 0; // action: notify
    result[56..64].copy_from_slice(&words(&[layout::STRINGS + 8, 6])); // step
    result[64..72].copy_from_slice(&words(&[fields.0, fields.1])); // fields
    module.data(at, result);
}

/// A decide body that grows memory by `pages`, copies `ctx.now` into the
/// send time of the notify result at `at`, and returns it.
fn notify_now(pages: i32, at: i32) -> Code {
    Code::new()
        .i32_const(pages)
        .memory_grow()
        .drop_()
        .i32_const(at)
        .local_get(0)
        .i64_load(0)
        .i64_store(24)
        .i32_const(at)
        .end()
}

#[test]
fn a_huge_returned_string_is_over_the_output_cap() {
    // A segment of 16 MiB (of NUL characters, which is valid UTF-8).
    let at = layout::SCRATCH;
    let mut module = policy_module(grow_and_return(256, at), canned_describe(), Vec::new());
    let mut result = vec![0u8; 32];
    result[8..16].copy_from_slice(&words(&[layout::GROWN, 16 << 20]));
    result[16] = 2; // action: stop
    result[24..32].copy_from_slice(&words(&[layout::STRINGS + 8, 6]));
    module.data(at, result);
    let outcome = encoded_with(&module, &limits());
    // Refused while being copied out: the host never holds the 16 MiB.
    assert_fails(&outcome, IncidentKind::InvalidDecision, "over the cap of 65536 bytes on its output");
}

#[test]
fn a_huge_returned_list_is_refused_and_metered() {
    // A million template fields ("", ""): 16 MB of list handed back.
    let at = layout::SCRATCH;
    let mut module = policy_module(notify_now(256, at), canned_describe(), Vec::new());
    notify_result(&mut module, at, (layout::GROWN, 1_000_000));
    let outcome = encoded_with(&module, &limits());
    // Refused while being copied out, long before the field count is checked.
    assert_fails(&outcome, IncidentKind::InvalidDecision, "over the cap of 65536 bytes on its output");
    // The list itself is what the plugin handed back, not only the bytes of its strings.
    assert!(
        outcome.metering.output_bytes > limits().max_output_bytes,
        "a list of 1,000,000 fields (16 MB in the plugin's memory) was metered as {} output bytes",
        outcome.metering.output_bytes
    );
}

#[test]
fn aliased_strings_cannot_make_the_host_allocate_more_than_the_plugin_may_use() {
    // 40 fields whose names and values all point at the same 2 MiB: the
    // plugin uses 2 MiB of memory, yet the decision reads as 160 MiB of
    // strings (a million such fields would read as terabytes). The host
    // must refuse it without copying more out of the sandbox than the
    // plugin could hold itself.
    let at = layout::SCRATCH;
    let list = layout::SCRATCH + 128;
    let mut module = policy_module(notify_now(32, at), canned_describe(), Vec::new());
    notify_result(&mut module, at, (list, 40));
    let field = words(&[layout::GROWN, 2 << 20, layout::GROWN, 2 << 20]);
    module.data(list, field.repeat(40));
    let (outcome, allocated) = allocated_during(|| encoded_with(&module, &limits()));
    let ceiling = limits().memory_bytes;
    assert!(
        allocated < ceiling,
        "the host allocated {allocated} bytes to look at one decision of a plugin limited to {ceiling} bytes \
         of memory and {} bytes of output; it failed with {:?}",
        limits().max_output_bytes,
        outcome.result
    );
    let error = assert_fails(&outcome, IncidentKind::InvalidDecision, "");
    assert!(error.message.contains("over the cap") || error.message.contains("template fields"), "{error}");
}

#[test]
fn too_many_fields_are_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "many-fields", "count": 33}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "33 template fields, more than the limit of 32");
}

#[test]
fn a_field_value_too_long_is_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "long-field-value", "count": 4096}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "field value is 4096 bytes, more than the limit of 1024");
}

#[test]
fn a_segment_too_long_is_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "long-segment", "count": 65}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "segment must be 1 to 64 bytes, got 65");
}

#[test]
fn a_step_too_long_is_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "long-step", "count": 65}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "step must be 1 to 64 bytes, got 65");
}

#[test]
fn a_segment_with_control_characters_is_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "bad-label"}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "may only use ASCII letters, digits and - _ . :");
}

#[test]
fn a_huge_policy_error_is_refused_at_the_output_cap() {
    // A 1 MiB error message is more than a plugin may hand back at all.
    let outcome = hostile(DUE, r#"{"misbehave": "error-flood", "count": 1048576}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "over the cap of 65536 bytes on its output");
}

#[test]
fn a_long_policy_error_is_truncated() {
    // Under the output cap, but longer than an incident message may be.
    let outcome = hostile(DUE, r#"{"misbehave": "error-flood", "count": 16384}"#);
    let error = assert_fails(&outcome, IncidentKind::PolicyError, "flood: eeee");
    assert!(error.message.len() < 1100 && error.message.ends_with("[truncated]"), "{} bytes", error.message.len());
}

// ---- out-of-range decisions ----

#[test]
fn a_send_time_more_than_a_day_in_the_past_is_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "send-in-past", "count": 172800}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "is more than a day before now");
    // Within the day's slack it means "now", and is accepted.
    let outcome = hostile(DUE, r#"{"misbehave": "send-in-past", "count": 82800}"#);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
}

#[test]
fn a_send_time_years_ahead_is_refused() {
    let outcome = hostile(DUE, r#"{"misbehave": "send-ahead"}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "is more than 366 days after now");
    let outcome = hostile(DUE, r#"{"misbehave": "wait-ahead"}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "wait time");
    // The end of time is not a time at all.
    let outcome = hostile(DUE, r#"{"misbehave": "send-ahead", "count": 9223372036854775807}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "is not a valid timestamp");
}

#[test]
fn a_channel_without_a_contact_is_refused() {
    // A channel the host does not know cannot even be expressed: `channel`
    // is a WIT enum, and lifting any other discriminant traps before the
    // host sees a decision. The nearest real case is a channel the customer
    // cannot be reached on: this customer has an email address and a phone
    // number, no app and no webhook.
    for channel in ["push", "webhook"] {
        let config = format!(r#"{{"misbehave": "channel", "channel": "{channel}"}}"#);
        let outcome = hostile(DUE, &config);
        let needle = format!("channel {channel} was chosen but the customer has no {channel} contact");
        assert_fails(&outcome, IncidentKind::InvalidDecision, &needle);
    }
}

#[test]
fn an_opted_out_channel_is_refused_first_or_as_a_fallback() {
    let outcome = hostile(SMS_ONLY, r#"{"misbehave": "channel", "channel": "email"}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "channel email was chosen but the customer opted out of it");
    let outcome = hostile(SMS_ONLY, r#"{"misbehave": "channel", "channel": "sms", "fallback": "email"}"#);
    assert_fails(&outcome, IncidentKind::InvalidDecision, "channel email was chosen but the customer opted out of it");
    let outcome = hostile(SMS_ONLY, r#"{"misbehave": "channel", "channel": "sms"}"#);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
}

#[test]
fn an_out_of_range_enum_discriminant_is_a_trap() {
    // A notify whose channel byte is 9: no such channel exists.
    let at = layout::SCRATCH;
    let mut module = policy_module(notify_now(0, at), canned_describe(), Vec::new());
    notify_result(&mut module, at, (0, 0));
    module.data(at + 32, vec![9]);
    let outcome = encoded_with(&module, &limits());
    assert_fails(&outcome, IncidentKind::Trap, "unexpected discriminant: 9");
}
