//! Loading components: the compiled-artefact cache and upload checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nudge_runtime::{Limits, LoadError, Runtime};

#[test]
fn a_restarted_host_loads_compiled_plugins_from_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let first = Runtime::with_artefact_cache(Limits::default(), dir.path()).unwrap();
    first.load(nudge_bundle::STANDARD_POLICY).unwrap();
    assert_eq!(first.cache_hits(), 0);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "cwasm"));

    let restarted = Runtime::with_artefact_cache(Limits::default(), dir.path()).unwrap();
    let plugin = restarted.load(nudge_bundle::STANDARD_POLICY).unwrap();
    assert_eq!(restarted.cache_hits(), 1);
    let (_, ctx) = nudge_runtime::fixtures::contexts().into_iter().next().unwrap();
    assert!(plugin.decide(&ctx).result.is_ok(), "a cached plugin decides like a compiled one");
}

#[test]
fn a_corrupted_cache_file_is_recompiled_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    Runtime::with_artefact_cache(Limits::default(), dir.path()).unwrap().load(nudge_bundle::STANDARD_POLICY).unwrap();
    let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();

    let runtime = Runtime::with_artefact_cache(Limits::default(), dir.path()).unwrap();
    let plugin = runtime.load(nudge_bundle::STANDARD_POLICY).unwrap();
    assert_eq!(runtime.cache_hits(), 0, "the corrupted artefact must not be used");
    let (_, ctx) = nudge_runtime::fixtures::contexts().into_iter().next().unwrap();
    assert!(plugin.decide(&ctx).result.is_ok());
}

#[test]
fn precompiled_native_code_is_refused() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    let engine_output = wasmtime_precompiled_header();
    assert!(matches!(runtime.load(&engine_output), Err(LoadError::Precompiled)));
}

/// The first bytes of anything wasmtime precompiles: an ELF object.
fn wasmtime_precompiled_header() -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
    bytes.resize(4096, 0);
    bytes
}

/// Components whose core code uses a proposal the host does not support,
/// and what the refusal says. Each would get past validation on an engine
/// with the proposal on (and then fail the type-check for want of exports),
/// so a refusal naming the proposal proves the engine has it switched off.
const DISABLED_PROPOSALS: &[(&str, &str, &str)] = &[
    ("threads", r#"(component (core module (memory 1 1 shared)))"#, "threads must be enabled"),
    ("exceptions", r#"(component (core module (tag $e) (func (throw $e))))"#, "exceptions proposal not enabled"),
    (
        "function references",
        r#"(component (core module (type $f (func)) (func (param (ref $f)))))"#,
        "function references required",
    ),
    ("gc", r#"(component (core module (type (struct (field i32)))))"#, "without the gc feature"),
    (
        "component-model async",
        r#"(component (core func (canon waitable-set.new)))"#,
        "requires the component model async feature",
    ),
    (
        "stack switching",
        r#"(component (core module (type $f (func)) (type $c (cont $f))))"#,
        "stack switching is disabled",
    ),
];

#[test]
fn components_using_disabled_proposals_are_refused_at_upload() {
    let runtime = Runtime::new(Limits::default()).unwrap();
    for (proposal, text, reason) in DISABLED_PROPOSALS {
        let bytes = wat::parse_str(text).unwrap_or_else(|e| panic!("{proposal}: {e}"));
        match runtime.load(&bytes) {
            Err(LoadError::Compile(message)) => {
                assert!(message.contains(reason), "{proposal}: expected {reason:?} in: {message}");
            }
            Err(other) => panic!("{proposal}: refused for the wrong reason: {other}"),
            Ok(_) => panic!("{proposal}: a component using it was accepted"),
        }
    }
}

#[test]
fn a_dry_run_puts_every_decision_to_the_embedder_s_check() {
    // The scheduler checks what only it can judge (the tenant's templates)
    // in the dry runs too, so a plugin production would refuse is refused
    // at upload.
    let runtime = Runtime::new(Limits::default()).unwrap();
    let plugin = runtime.load(nudge_bundle::STANDARD_POLICY).unwrap();
    let limits = nudge_runtime::PluginLimits::default();
    assert!(plugin.dry_run_checked(&limits, |_| Ok(())).is_ok());
    let seen = std::cell::Cell::new(0);
    let refuse_notices = |decision: &nudge_core::Decision| {
        seen.set(seen.get() + 1);
        match decision.action {
            nudge_core::Action::Notify(_) => Err(nudge_runtime::CallError {
                kind: nudge_core::IncidentKind::InvalidDecision,
                message: "template \"x\" does not exist".into(),
            }),
            _ => Ok(()),
        }
    };
    match plugin.dry_run_checked(&limits, refuse_notices) {
        Err(LoadError::DryRun { fixture, error }) => {
            assert!(!fixture.is_empty());
            assert_eq!(error.kind, nudge_core::IncidentKind::InvalidDecision);
            assert!(error.message.contains("does not exist"), "{}", error.message);
        }
        other => panic!("the check's refusal must reject the plugin: {other:?}"),
    }
    assert!(seen.get() >= 1);
}
