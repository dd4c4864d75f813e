//! A component of the `policy` world around a hand-written core module.

use super::{
    BOOL, Code, Component, CoreModule, I32, S32, S64, STRING, U8, U32, U64, Val, enumeration, func, list, name, option,
    record, result, tuple, uleb, variant, vector,
};

/// The types of `decide` and `describe` in a component of its own.
struct PolicyTypes {
    decide: u32,
    describe: u32,
}

/// Defines (and exports, bottom up) every type of `nudge:policy/types@0.1.0`.
fn policy_types(c: &mut Component) -> PolicyTypes {
    let date = c.named("date", record(&[("year", S32), ("month", U8), ("day", U8)]));
    let money = c.named("money", record(&[("amount-minor", S64), ("currency", STRING)]));
    let channel = c.named("channel", enumeration(&["email", "sms", "push", "webhook"]));
    let tone = c.named("tone", enumeration(&["gentle", "friendly", "firm", "urgent"]));
    let status = c.named("invoice-status", enumeration(&["open", "paid", "void", "uncollectible"]));
    let option_string = c.define(option(STRING));
    let strings = c.define(list(STRING));
    let invoice = c.named(
        "invoice",
        record(&[
            ("id", STRING),
            ("number", STRING),
            ("total", Val::Ty(money)),
            ("amount-remaining", Val::Ty(money)),
            ("issued-on", Val::Ty(date)),
            ("due-on", Val::Ty(date)),
            ("status", Val::Ty(status)),
            ("disputed", BOOL),
            ("payment-link", Val::Ty(option_string)),
            ("tags", Val::Ty(strings)),
        ]),
    );
    let channels = c.define(list(Val::Ty(channel)));
    let option_channel = c.define(option(Val::Ty(channel)));
    let customer = c.named(
        "customer",
        record(&[
            ("id", STRING),
            ("language", STRING),
            ("time-zone", STRING),
            ("utc-offset-minutes", S32),
            ("tier", STRING),
            ("lifetime-value", Val::Ty(money)),
            ("reachable-channels", Val::Ty(channels)),
            ("preferred-channel", Val::Ty(option_channel)),
            ("opted-out-channels", Val::Ty(channels)),
            ("tags", Val::Ty(strings)),
        ]),
    );
    let outcome = c.named(
        "notice-outcome",
        enumeration(&["scheduled", "sent", "delivered", "bounced", "opened", "clicked", "suppressed", "failed"]),
    );
    let past_notice = c.named(
        "past-notice",
        record(&[
            ("step", STRING),
            ("channel", Val::Ty(channel)),
            ("tone", Val::Ty(tone)),
            ("at", S64),
            ("outcome", Val::Ty(outcome)),
        ]),
    );
    let past_notices = c.define(list(Val::Ty(past_notice)));
    let history = c.named(
        "history",
        record(&[
            ("notices", Val::Ty(past_notices)),
            ("invoices-paid-on-time", U32),
            ("invoices-paid-late", U32),
            ("total-days-late", U32),
            ("opens", U32),
            ("clicks", U32),
            ("bounces", U32),
            ("negative-feedback", U32),
        ]),
    );
    let arm = c.named("experiment-arm", record(&[("experiment", STRING), ("arm", STRING)]));
    let arms = c.define(list(Val::Ty(arm)));
    let context = c.named(
        "context",
        record(&[
            ("now", S64),
            ("invoice", Val::Ty(invoice)),
            ("customer", Val::Ty(customer)),
            ("history", Val::Ty(history)),
            ("experiments", Val::Ty(arms)),
            ("seed", U64),
            ("config", STRING),
        ]),
    );
    let pair = c.define(tuple(&[STRING, STRING]));
    let pairs = c.define(list(Val::Ty(pair)));
    let notify = c.named(
        "notify",
        record(&[
            ("send-at", S64),
            ("channel", Val::Ty(channel)),
            ("fallbacks", Val::Ty(channels)),
            ("tone", Val::Ty(tone)),
            ("template", STRING),
            ("step", STRING),
            ("fields", Val::Ty(pairs)),
        ]),
    );
    let action = c.named(
        "action",
        variant(&[
            ("notify", Some(Val::Ty(notify))),
            ("wait", Some(S64)),
            ("stop", Some(STRING)),
            ("escalate", Some(STRING)),
        ]),
    );
    let decision = c.named("decision", record(&[("segment", STRING), ("action", Val::Ty(action))]));
    let policy_error = c.named("policy-error", record(&[("code", STRING), ("message", STRING)]));
    let experiment = c.named("experiment", record(&[("name", STRING), ("arms", Val::Ty(strings))]));
    let experiments = c.define(list(Val::Ty(experiment)));
    let info =
        c.named("policy-info", record(&[("name", STRING), ("version", STRING), ("experiments", Val::Ty(experiments))]));
    let decided = c.define(result(Val::Ty(decision), Val::Ty(policy_error)));
    let decide = c.define(func(&[("ctx", Val::Ty(context))], Val::Ty(decided)));
    let describe = c.define(func(&[], Val::Ty(info)));
    PolicyTypes { decide, describe }
}

/// Wraps a core module into a component of the `policy` world.
///
/// The module must export `memory`, `cabi_realloc` (the canonical ABI
/// allocator), `decide: (i32) -> i32` (context pointer in, result pointer
/// out) and `describe: () -> i32`.
pub fn policy_component(core: &CoreModule) -> Vec<u8> {
    policy_component_exporting(core, &[("decide", Lifted::Decide), ("describe", Lifted::Describe)])
}

/// Which of the module's functions an export lifts, each with its own type.
#[derive(Debug, Clone, Copy)]
pub enum Lifted {
    /// Core function 1, lifted as `decide: func(ctx: context) -> result<decision, policy-error>`.
    Decide,
    /// Core function 2, lifted as `describe: func() -> policy-info`.
    Describe,
}

/// Like [`policy_component`], but exporting only `exports`, each under the
/// given name: a component that is valid on its own yet may not match the
/// policy world (a missing export, or one with the other function's type).
pub fn policy_component_exporting(core: &CoreModule, exports: &[(&str, Lifted)]) -> Vec<u8> {
    let mut c = Component::new();
    let types = policy_types(&mut c);
    c.raw_section(1, &core.encode());
    // core instance 0 = instantiate module 0 with no arguments.
    c.raw_section(2, &vector(&[vec![0x00, 0x00, 0x00]]));
    let alias = |sort: u8, export: &str| {
        let mut entry = vec![0x00, sort, 0x01, 0x00];
        name(&mut entry, export);
        entry
    };
    // Core funcs 0, 1, 2 and core memory 0, aliased from the instance.
    c.raw_section(
        6,
        &vector(&[alias(0x00, "cabi_realloc"), alias(0x00, "decide"), alias(0x00, "describe"), alias(0x02, "memory")]),
    );
    let lift = |core_func: u8, ty: u32| {
        // canon lift, options: utf8, memory 0, realloc 0.
        let mut entry = vec![0x00, 0x00, core_func, 0x03, 0x00, 0x03, 0x00, 0x04, 0x00];
        uleb(&mut entry, ty.into());
        entry
    };
    let lifts: Vec<Vec<u8>> = exports
        .iter()
        .map(|(_, lifted)| match lifted {
            Lifted::Decide => lift(1, types.decide),
            Lifted::Describe => lift(2, types.describe),
        })
        .collect();
    c.raw_section(8, &vector(&lifts));
    let export = |export: &str, func: u8| {
        let mut entry = vec![0x00];
        name(&mut entry, export);
        entry.extend_from_slice(&[0x01, func, 0x00]);
        entry
    };
    let entries: Vec<Vec<u8>> =
        exports.iter().enumerate().map(|(i, (name, _))| export(name, u8::try_from(i).unwrap())).collect();
    c.raw_section(11, &vector(&entries));
    c.finish()
}

/// Where [`policy_module`] keeps its canned answers in memory.
pub mod layout {
    /// A `policy-info` record: name "wat", version "0.1.0", no experiments.
    pub const INFO: i32 = 64;
    /// An `ok` decision: segment "wat", action `stop("canned")`.
    pub const STOP: i32 = 128;
    /// Strings the canned answers point to: "wat", "0.1.0", "canned".
    pub const STRINGS: i32 = 256;
    /// Free for a test's own canned data, up to [`HEAP`].
    pub const SCRATCH: i32 = 512;
    /// First address the bump allocator hands out.
    pub const HEAP: i32 = 8192;
    /// The first byte past the initial page, where memory grown by a test begins.
    pub const GROWN: i32 = 64 << 10;
}

/// A core module for [`policy_component`] with one page of memory, a bump
/// allocator, a one-element table, a canned `describe` and a canned `stop`
/// decision in memory (see [`layout`]); `decide` and `describe` run the
/// given bodies (`decide`'s parameter is local 0, the context pointer).
///
/// Function indices: 0 `cabi_realloc`, 1 `decide`, 2 `describe`, then any
/// `helpers` in order.
pub fn policy_module(decide: Code, describe: Code, helpers: Vec<(Vec<u8>, Vec<u8>, Code)>) -> CoreModule {
    use layout::*;
    let mut m = CoreModule::new();
    let realloc_ty = m.func_type(&[I32, I32, I32, I32], &[I32]);
    let decide_ty = m.func_type(&[I32], &[I32]);
    let describe_ty = m.func_type(&[], &[I32]);
    m.memory(1, None);
    m.table(1, None);
    let heap = m.global(HEAP);
    // (old-ptr, old-size, align, new-size) -> ptr: bump `heap`, 8-aligned.
    let realloc = Code::new()
        .locals(1, I32)
        .global_get(heap)
        .i32_const(7)
        .i32_add()
        .i32_const(-8)
        .i32_and()
        .local_set(4)
        .local_get(4)
        .local_get(3)
        .i32_add()
        .global_set(heap)
        .local_get(4)
        .end();
    m.func(realloc_ty, realloc);
    m.func(decide_ty, decide);
    m.func(describe_ty, describe);
    for (params, results, code) in helpers {
        let ty = m.func_type(&params, &results);
        m.func(ty, code);
    }
    m.export_func("cabi_realloc", 0);
    m.export_func("decide", 1);
    m.export_func("describe", 2);
    m.export_memory("memory");
    let strings = b"wat0.1.0canned";
    m.data(STRINGS, strings.to_vec());
    // policy-info { name: (ptr, len), version: (ptr, len), experiments: (ptr, len) }
    m.data(INFO, words(&[STRINGS, 3, STRINGS + 3, 5, 0, 0]));
    // result<decision, _>: tag 0 (ok) at +0; decision at +8: segment (ptr, len)
    // at +8, action tag at +16 (2 = stop), stop's string (ptr, len) at +24.
    let mut stop = vec![0u8; 32];
    stop[8..16].copy_from_slice(&words(&[STRINGS, 3]));
    stop[16] = 2;
    stop[24..32].copy_from_slice(&words(&[STRINGS + 8, 6]));
    m.data(STOP, stop);
    m
}

/// Little-endian `i32` words.
pub fn words(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A body that returns the canned `describe` answer.
pub fn canned_describe() -> Code {
    Code::new().i32_const(layout::INFO).end()
}

/// A body that returns the canned `stop` decision.
pub fn canned_stop() -> Code {
    Code::new().i32_const(layout::STOP).end()
}
