//! Hostile uploads: components the host must refuse before they ever decide,
//! each with an error naming the reason, while another tenant keeps deciding.
//!
//! `Runtime::load` is what `Scheduler::upload_plugin` runs first (size cap,
//! header, compile, import allow-list, world type-check, describe); the
//! upload's dry runs on fixtures come after and are covered in
//! `hostile_tenants`.

use std::time::{Duration, Instant};

use nudge_bundle::{STANDARD_POLICY, test_guests};
use nudge_runtime::{LoadError, Plugin, PluginLimits};

use crate::{
    encode::{
        COMPONENT_PREAMBLE, Code, Component, Lifted, U8, Val, canned_describe, canned_stop, list, policy_component,
        policy_component_exporting, policy_module, tuple,
    },
    hostile_support::while_neighbour_decides,
};

/// Loads `bytes` under `limits` while the neighbour decides; the error, and how long the load took.
fn refused_with(bytes: &[u8], limits: &PluginLimits) -> (LoadError, Duration) {
    while_neighbour_decides(|runtime| {
        let started = Instant::now();
        let result = runtime.load_with(bytes, limits);
        let took = started.elapsed();
        match result {
            Ok(plugin) => panic!("the host accepted a hostile component: {plugin:?}"),
            Err(error) => (error, took),
        }
    })
}

/// Loads `bytes` under default limits while the neighbour decides; the error.
fn refused(bytes: &[u8]) -> LoadError {
    refused_with(bytes, &PluginLimits::default()).0
}

/// The error's message, checked to contain `needle`.
fn says(error: &LoadError, needle: &str) -> String {
    let text = error.to_string();
    assert!(text.contains(needle), "expected {needle:?} in: {text}");
    text
}

/// A policy component whose `decide` stops politely and whose `describe` runs `describe`.
fn with_describe(describe: Code) -> Vec<u8> {
    policy_component(&policy_module(canned_stop(), describe, Vec::new()))
}

#[test]
fn the_hand_encoded_policy_component_is_a_valid_plugin() {
    // Guards every hand-encoded case below: with polite bodies the encoding
    // loads, describes itself and decides like any plugin.
    let plugin: Plugin = while_neighbour_decides(|runtime| runtime.load(&with_describe(canned_describe())).unwrap());
    assert_eq!((plugin.info().name.as_str(), plugin.info().version.as_str()), ("wat", "0.1.0"));
    let metering = plugin.dry_run(&PluginLimits::default()).unwrap();
    assert!(metering.fuel > 0 && metering.wall_us > 0);
}

#[test]
fn a_component_that_does_not_match_the_policy_world_is_refused_by_the_type_check() {
    // Each is a valid component with only allowed imports (none): only the
    // world type-check can tell it is not a policy.
    let core = policy_module(canned_stop(), canned_describe(), Vec::new());
    let missing = policy_component_exporting(&core, &[("decide", Lifted::Decide)]);
    let error = refused(&missing);
    assert!(matches!(error, LoadError::World(_)), "{error:?}");
    says(&error, "describe");
    // `decide` and `describe` swapped: both present, each with the other's type.
    let swapped = policy_component_exporting(&core, &[("decide", Lifted::Describe), ("describe", Lifted::Decide)]);
    let error = refused(&swapped);
    assert!(matches!(error, LoadError::World(_)), "{error:?}");
    says(&error, "decide");
}

#[test]
fn a_core_module_is_refused_as_not_a_component() {
    let core = policy_module(canned_stop(), canned_describe(), Vec::new()).encode();
    let error = refused(&core);
    assert!(matches!(error, LoadError::CoreModule), "{error:?}");
    says(&error, "core WebAssembly module, not a component");
}

#[test]
fn bytes_that_are_not_wasm_are_refused() {
    let error = refused(b"MZ\x90\0\x03\0\0\0 this is a Windows program, not a plugin");
    assert!(matches!(error, LoadError::NotWasm), "{error:?}");
    says(&error, "does not start with the wasm magic bytes");
    // WAT text is not accepted either: only the host compiles, from binary.
    let error = refused(b"(component)");
    assert!(matches!(error, LoadError::Text), "{error:?}");
    says(&error, "WebAssembly text");
}

#[test]
fn corrupt_components_are_refused() {
    // Cut in half.
    let error = refused(&STANDARD_POLICY[..STANDARD_POLICY.len() / 2]);
    assert!(matches!(error, LoadError::Compile(_)), "{error:?}");
    says(&error, "failed validation");
    // A valid preamble, then garbage.
    let mut garbage = COMPONENT_PREAMBLE.to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let error = refused(&garbage);
    assert!(matches!(error, LoadError::Compile(_)), "{error:?}");
    // A version no wasmtime knows.
    let error = refused(b"\0asm\x0e\0\x01\0");
    says(&error, "unknown binary version");
}

#[test]
fn bit_flipped_components_never_take_the_host_down() {
    // Every single-byte corruption of a small valid plugin either fails to
    // load with a reason, or loads and then decides or fails with a reason.
    let good = with_describe(canned_describe());
    let ctx = crate::hostile_support::fixture("due-in-3-days", "{}");
    let (refused, loaded) = while_neighbour_decides(|runtime| {
        let (mut refused, mut loaded) = (0, 0);
        for position in (8..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[position] ^= 0x5a;
            match runtime.load(&bad) {
                Err(error) => {
                    assert!(!error.to_string().is_empty());
                    refused += 1;
                }
                Ok(plugin) => {
                    let outcome = plugin.decide(&ctx);
                    if let Err(error) = outcome.result {
                        assert!(!error.message.is_empty());
                    }
                    loaded += 1;
                }
            }
        }
        (refused, loaded)
    });
    assert!(refused > 0, "{refused} refused, {loaded} loaded");
}

#[test]
fn an_upload_over_the_size_cap_is_refused_without_compiling() {
    let cap = PluginLimits::default().max_component_bytes as usize;
    let mut huge = COMPONENT_PREAMBLE.to_vec();
    huge.resize(cap + 1, 0);
    let (error, took) = refused_with(&huge, &PluginLimits::default());
    assert!(matches!(error, LoadError::TooLarge { size, cap: c } if size == cap + 1 && c == cap), "{error:?}");
    says(&error, &format!("over the cap of {cap} bytes"));
    assert!(took < Duration::from_millis(500), "refusing took {took:?}: the bytes were looked at");
    // A tenant's own, lower cap applies to a real plugin too.
    let small = PluginLimits { max_component_bytes: 100_000, ..PluginLimits::default() };
    let (error, _) = refused_with(STANDARD_POLICY, &small);
    says(&error, "over the cap of 100000 bytes");
}

#[test]
fn a_filesystem_import_is_refused_by_name() {
    let error = refused(&std::fs::read(test_guests::FS_READER).unwrap());
    let LoadError::ForbiddenImport { name, .. } = &error else { panic!("{error:?}") };
    assert!(name.starts_with("wasi:filesystem/"), "{name}");
    says(&error, &format!("imports {name}, which plugins may not use"));
}

#[test]
fn a_socket_import_is_refused_by_name() {
    // Rust's `std::net` on wasm32-wasip2 imports wasi:sockets (tcp, udp,
    // ip-name-lookup, ...) and, for its descriptors, wasi:filesystem too.
    // The author used the network, so the refusal must say so: naming only
    // wasi:filesystem would send them looking for file access they never wrote.
    let error = refused(&std::fs::read(test_guests::NET_DIALER).unwrap());
    assert!(matches!(error, LoadError::ForbiddenImport { .. }), "{error:?}");
    says(&error, "wasi:sockets/");
}

#[test]
fn an_unknown_import_is_refused_by_name() {
    // (component (import "evil:thing/x" (instance)))
    let mut c = Component::new();
    let empty_instance = c.define(vec![0x42, 0x00]);
    c.import_instance("evil:thing/x", empty_instance);
    let error = refused(&c.finish());
    assert!(matches!(&error, LoadError::ForbiddenImport { name, .. } if name == "evil:thing/x"), "{error:?}");
    says(&error, "imports evil:thing/x, which plugins may not use; allowed: nudge:policy/");
}

#[test]
fn deeply_nested_types_are_refused_quickly() {
    // (type $t0 (list u8)) (type $t1 (list $t0)) ... 200 levels deep.
    let mut c = Component::new();
    let mut ty = c.define(list(U8));
    for _ in 0..200 {
        ty = c.define(list(Val::Ty(ty)));
    }
    let (error, took) = refused_with(&c.finish(), &PluginLimits::default());
    says(&error, "type nesting is too deep");
    assert!(took < Duration::from_secs(2), "refusing took {took:?}");
}

#[test]
fn exponentially_large_types_are_refused_quickly() {
    // (type $t0 (tuple u8 u8)) (type $t(n+1) (tuple $tn $tn)): 2^64 leaves in a few hundred bytes.
    let mut c = Component::new();
    let mut ty = c.define(tuple(&[U8, U8]));
    for _ in 0..64 {
        ty = c.define(tuple(&[Val::Ty(ty), Val::Ty(ty)]));
    }
    let (error, took) = refused_with(&c.finish(), &PluginLimits::default());
    says(&error, "effective type size exceeds the limit");
    assert!(took < Duration::from_secs(2), "refusing took {took:?}");
}

#[test]
fn deeply_nested_component_types_are_refused_without_crashing_the_host() {
    // (type (component (type (component (type (component ... ))))))
    // 100,000 levels in 300 KB, well under the upload cap. Parsing nested
    // type declarations is recursive and overflows any compiler thread's
    // stack, which would abort the whole process: so the host compiles
    // uploads in a separate worker process (as `nudge` does), whose death
    // is just a refused upload.
    const DEPTH: usize = 100_000;
    let mut nested = Vec::with_capacity(DEPTH * 3 + 2);
    for _ in 0..DEPTH {
        // A component type with one declaration, a type: the next level.
        nested.extend_from_slice(&[0x41, 0x01, 0x01]);
    }
    nested.extend_from_slice(&[0x41, 0x00]);
    let mut c = Component::new();
    c.define(nested);
    let runtime = nudge_runtime::Runtime::with_options(
        nudge_runtime::Limits::default(),
        nudge_runtime::RuntimeOptions {
            cache_dir: None,
            compile_worker: Some(nudge_runtime::CompileWorker {
                program: env!("CARGO_BIN_EXE_nudge-compile-worker").into(),
                args: Vec::new(),
                memory_bytes: 2 << 30,
            }),
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let error = runtime.load(&c.finish()).expect_err("a type-nesting bomb must be refused");
    assert!(matches!(error, LoadError::Compile(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "refusing took {:?}", started.elapsed());
    // The host is still here, and still loads good plugins.
    assert!(runtime.load(nudge_bundle::STANDARD_POLICY).is_ok());
}

#[test]
fn a_table_over_the_host_ceiling_is_refused_at_compile_time() {
    let mut module = policy_module(canned_stop(), canned_describe(), Vec::new());
    module.set_table(0, 10_000_000, None);
    let error = refused(&policy_component(&module));
    assert!(matches!(error, LoadError::Compile(_)), "{error:?}");
    says(&error, "minimum element size of 10000000 which exceeds the limit of 100000");
}

#[test]
fn a_table_over_the_tenant_limit_is_refused_when_instantiated() {
    // Under the host's pool ceiling (100,000) but over the tenant's 20,000.
    let mut module = policy_module(canned_stop(), canned_describe(), Vec::new());
    module.set_table(0, 50_000, None);
    let error = refused(&policy_component(&module));
    says(&error, "plugin tried to grow a table to 50000 elements, over its limit of 20000");
}

#[test]
fn a_memory_over_the_host_ceiling_is_refused_at_compile_time() {
    let mut module = policy_module(canned_stop(), canned_describe(), Vec::new());
    // 65,536 pages: 4 GiB.
    module.memory(65_536, None);
    let error = refused(&policy_component(&module));
    assert!(matches!(error, LoadError::Compile(_)), "{error:?}");
    says(&error, "memory has a minimum byte size of 4294967296 which exceeds the limit");
}

#[test]
fn a_memory_over_the_tenant_limit_is_refused_when_instantiated() {
    // 48 MiB: under the host's 64 MiB slots, over the tenant's 32 MiB.
    let mut module = policy_module(canned_stop(), canned_describe(), Vec::new());
    module.memory(768, None);
    let error = refused(&policy_component(&module));
    says(&error, "plugin tried to grow linear memory to 50331648 bytes, over its limit of 33554432");
}

#[test]
fn a_trap_in_describe_is_refused() {
    let error = refused(&with_describe(Code::new().unreachable().end()));
    assert!(matches!(error, LoadError::Describe(_)), "{error:?}");
    says(&error, "describe() failed: trap");
    says(&error, "unreachable");
}

#[test]
fn an_endless_describe_is_stopped_by_its_fuel() {
    let error = refused(&with_describe(Code::new().loop_().br(0).end().unreachable().end()));
    assert!(matches!(error, LoadError::Describe(_)), "{error:?}");
    says(&error, "out-of-fuel: plugin used up its fuel budget");
}

#[test]
fn a_describe_that_points_outside_its_memory_is_refused() {
    let error = refused(&with_describe(Code::new().i32_const(-16).end()));
    assert!(matches!(error, LoadError::Describe(_)), "{error:?}");
    says(&error, "out of bounds");
}

#[test]
fn a_component_too_slow_to_compile_is_cut_off_at_the_tenant_s_compile_timeout() {
    // 20 helper functions of 100,000 dependent additions each: 6 MB of code,
    // under the 8 MiB upload cap, that takes cranelift many seconds. The
    // compile worker is killed at the tenant's timeout and the upload is
    // refused; the host loads the next plugin as usual.
    let mut sum = Code::new().i32_const(0);
    for _ in 0..100_000 {
        sum = sum.i32_const(1).i32_add();
    }
    let sum = sum.drop_().end();
    let helpers = (0..20).map(|_| (Vec::new(), Vec::new(), sum.clone())).collect();
    let bomb = policy_component(&policy_module(canned_stop(), canned_describe(), helpers));
    assert!(
        bomb.len() > 5_000_000 && bomb.len() < PluginLimits::default().max_component_bytes as usize,
        "{}",
        bomb.len()
    );
    let runtime = nudge_runtime::Runtime::with_options(
        nudge_runtime::Limits::default(),
        nudge_runtime::RuntimeOptions {
            cache_dir: None,
            compile_worker: Some(nudge_runtime::CompileWorker {
                program: env!("CARGO_BIN_EXE_nudge-compile-worker").into(),
                args: Vec::new(),
                memory_bytes: 2 << 30,
            }),
        },
    )
    .unwrap();
    let limits = PluginLimits { compile_timeout_ms: 1_000, ..PluginLimits::default() };
    let started = Instant::now();
    let error = runtime.load_with(&bomb, &limits).expect_err("a compile bomb must be refused");
    let took = started.elapsed();
    assert!(matches!(error, LoadError::CompileTimeout(_)), "{error:?}");
    says(&error, "compile timeout");
    assert!(took < Duration::from_secs(10), "cut off after {took:?}");
    assert!(runtime.load(STANDARD_POLICY).is_ok(), "the host still compiles the next upload");
}

#[test]
fn a_module_with_more_tables_than_the_host_allows_is_refused_at_upload() {
    let mut module = policy_module(canned_stop(), canned_describe(), Vec::new());
    for _ in 0..20 {
        module.table(1, Some(1));
    }
    // The instance pool allows one table per core module; a plugin instance
    // (all its core instances) at most `MAX_TABLES`.
    let error = refused(&policy_component(&module));
    assert!(matches!(error, LoadError::Compile(_)), "{error:?}");
    says(&error, "defined tables count of 21 exceeds the per-instance limit of 1");
}
