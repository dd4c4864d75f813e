//! Bindings generated from `wit/policy.wit`, once, for every policy crate.
//!
//! Policy authors rarely need this module: the types are re-exported at the
//! crate root and [`export_policy!`](crate::export_policy) wires a
//! [`Policy`](crate::Policy) to the generated exports.

// Generated code: its items carry the WIT documentation, but the generator also
// emits undocumented helper modules and functions.
#![allow(missing_docs)]
// The canonical ABI glue is `unsafe` by nature; it is generated, not written here.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "../wit",
    world: "policy",
    // Tests compare decisions with `assert_eq!`.
    additional_derives: [PartialEq, Eq],
    // Downstream policy crates expand the export macro, so it must be public
    // and must find the generated types through this crate.
    pub_export_macro: true,
    default_bindings_module: "nudge_sdk::bindings",
});
