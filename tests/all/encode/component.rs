//! Components: value types, type definitions and exports, imports, and
//! raw sections.

use super::{name, section, sleb, uleb, vector};

/// The preamble of a component: magic, version 0x0d, layer 1.
pub const COMPONENT_PREAMBLE: [u8; 8] = *b"\0asm\x0d\0\x01\0";

/// A component value type: a primitive or a type index.
#[derive(Debug, Clone, Copy)]
pub enum Val {
    /// A primitive (`string`, `u32`, ...), by its one-byte code.
    Prim(u8),
    /// A type defined earlier, by index.
    Ty(u32),
}

/// Component primitive `bool`.
pub const BOOL: Val = Val::Prim(0x7f);
/// Component primitive `u8`.
pub const U8: Val = Val::Prim(0x7d);
/// Component primitive `s32`.
pub const S32: Val = Val::Prim(0x7a);
/// Component primitive `u32`.
pub const U32: Val = Val::Prim(0x79);
/// Component primitive `s64`.
pub const S64: Val = Val::Prim(0x78);
/// Component primitive `u64`.
pub const U64: Val = Val::Prim(0x77);
/// Component primitive `string`.
pub const STRING: Val = Val::Prim(0x73);

fn val(out: &mut Vec<u8>, ty: Val) {
    match ty {
        Val::Prim(code) => out.push(code),
        // Type indices are s33 so that they never collide with primitive codes.
        Val::Ty(index) => sleb(out, index.into()),
    }
}

/// The sections of a component under construction, with its type and
/// function index spaces counted as they grow.
#[derive(Debug, Clone)]
pub struct Component {
    bytes: Vec<u8>,
    types: u32,
}

impl Default for Component {
    fn default() -> Self {
        Self::new()
    }
}

impl Component {
    /// A component with nothing in it yet.
    pub fn new() -> Self {
        Self { bytes: COMPONENT_PREAMBLE.to_vec(), types: 0 }
    }

    /// The finished binary.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }

    /// Defines one type from its encoding; returns its index.
    pub fn define(&mut self, encoded: Vec<u8>) -> u32 {
        section(&mut self.bytes, 7, &vector(&[encoded]));
        self.types += 1;
        self.types - 1
    }

    /// Exports type `ty` as `export`; the export is a new type index, returned.
    pub fn export_type(&mut self, export: &str, ty: u32) -> u32 {
        let mut entry = vec![0x00];
        name(&mut entry, export);
        entry.push(0x03);
        uleb(&mut entry, ty.into());
        entry.push(0x00);
        section(&mut self.bytes, 11, &vector(&[entry]));
        self.types += 1;
        self.types - 1
    }

    /// Defines a type and exports it under `export`, as a named (nominal)
    /// type must be before a function export may use it; returns the export.
    pub fn named(&mut self, export: &str, encoded: Vec<u8>) -> u32 {
        let ty = self.define(encoded);
        self.export_type(export, ty)
    }

    /// Imports an instance of type `ty` as `import`.
    pub fn import_instance(&mut self, import: &str, ty: u32) {
        let mut entry = vec![0x00];
        name(&mut entry, import);
        entry.push(0x05);
        uleb(&mut entry, ty.into());
        section(&mut self.bytes, 10, &vector(&[entry]));
    }

    /// Appends a raw section.
    pub fn raw_section(&mut self, id: u8, payload: &[u8]) {
        section(&mut self.bytes, id, payload);
    }
}

/// `record { fields }`
pub fn record(fields: &[(&str, Val)]) -> Vec<u8> {
    let mut out = vec![0x72];
    uleb(&mut out, fields.len() as u64);
    for (field, ty) in fields {
        name(&mut out, field);
        val(&mut out, *ty);
    }
    out
}

/// `variant { cases }`
pub fn variant(cases: &[(&str, Option<Val>)]) -> Vec<u8> {
    let mut out = vec![0x71];
    uleb(&mut out, cases.len() as u64);
    for (case, ty) in cases {
        name(&mut out, case);
        match ty {
            Some(ty) => {
                out.push(0x01);
                val(&mut out, *ty);
            }
            None => out.push(0x00),
        }
        out.push(0x00);
    }
    out
}

/// `enum { cases }`
pub fn enumeration(cases: &[&str]) -> Vec<u8> {
    let mut out = vec![0x6d];
    uleb(&mut out, cases.len() as u64);
    for case in cases {
        name(&mut out, case);
    }
    out
}

/// `list<ty>`
pub fn list(ty: Val) -> Vec<u8> {
    let mut out = vec![0x70];
    val(&mut out, ty);
    out
}

/// `tuple<tys>`
pub fn tuple(tys: &[Val]) -> Vec<u8> {
    let mut out = vec![0x6f];
    uleb(&mut out, tys.len() as u64);
    for ty in tys {
        val(&mut out, *ty);
    }
    out
}

/// `option<ty>`
pub fn option(ty: Val) -> Vec<u8> {
    let mut out = vec![0x6b];
    val(&mut out, ty);
    out
}

/// `result<ok, error>`
pub fn result(ok: Val, error: Val) -> Vec<u8> {
    let mut out = vec![0x6a, 0x01];
    val(&mut out, ok);
    out.push(0x01);
    val(&mut out, error);
    out
}

/// `func(params) -> result`
pub fn func(params: &[(&str, Val)], result: Val) -> Vec<u8> {
    let mut out = vec![0x40];
    uleb(&mut out, params.len() as u64);
    for (param, ty) in params {
        name(&mut out, param);
        val(&mut out, *ty);
    }
    out.push(0x00);
    val(&mut out, result);
    out
}
