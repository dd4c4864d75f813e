//! Hand-encoded WebAssembly for the hostile cases that are naturally WAT.
//!
//! The host only accepts binary components (WAT text does not start with the
//! wasm magic bytes, so `Runtime::load` rejects it as not wasm before
//! wasmtime could parse it), and this test crate has no `wat` dependency.
//! These few shapes are therefore encoded here directly, following the core
//! and component-model binary formats: a core module built instruction by
//! instruction, wrapped in a component that exports `decide` and `describe`
//! with exactly the types of `nudge:policy/policy@0.1.0`.

mod component;
mod module;
mod policy;

pub use component::*;
pub use module::*;
pub use policy::*;

/// Appends `value` as an unsigned LEB128.
pub fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends `value` as a signed LEB128.
pub fn sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends a length-prefixed UTF-8 name.
pub fn name(out: &mut Vec<u8>, text: &str) {
    uleb(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Appends a section: its id, its size, its payload.
pub fn section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    uleb(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// A section payload that is a vector of `items`.
fn vector(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, items.len() as u64);
    for item in items {
        out.extend_from_slice(item);
    }
    out
}
