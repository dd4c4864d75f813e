//! Core modules: types, functions written instruction by instruction, a
//! table, a memory, globals, exports and data.

use super::{name, section, sleb, uleb, vector};

/// The preamble of a core module: magic, version 1, layer 0.
pub const CORE_PREAMBLE: [u8; 8] = *b"\0asm\x01\0\0\0";
/// Core value type `i32`.
pub const I32: u8 = 0x7f;

/// One function body, written instruction by instruction like WAT.
#[derive(Debug, Clone, Default)]
pub struct Code {
    locals: Vec<(u32, u8)>,
    bytes: Vec<u8>,
}

impl Code {
    /// An empty body with no locals.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares `count` more locals of type `ty` (after the parameters).
    pub fn locals(mut self, count: u32, ty: u8) -> Self {
        self.locals.push((count, ty));
        self
    }

    fn op(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    fn op_u(mut self, opcode: &[u8], immediate: u64) -> Self {
        self.bytes.extend_from_slice(opcode);
        uleb(&mut self.bytes, immediate);
        self
    }

    /// `unreachable`
    pub fn unreachable(self) -> Self {
        self.op(&[0x00])
    }
    /// `loop` (no results)
    pub fn loop_(self) -> Self {
        self.op(&[0x03, 0x40])
    }
    /// `if` (no results)
    pub fn if_(self) -> Self {
        self.op(&[0x04, 0x40])
    }
    /// `end`
    pub fn end(self) -> Self {
        self.op(&[0x0b])
    }
    /// `br depth`
    pub fn br(self, depth: u32) -> Self {
        self.op_u(&[0x0c], depth.into())
    }
    /// `br_if depth`
    pub fn br_if(self, depth: u32) -> Self {
        self.op_u(&[0x0d], depth.into())
    }
    /// `call f`
    pub fn call(self, func: u32) -> Self {
        self.op_u(&[0x10], func.into())
    }
    /// `drop`
    pub fn drop_(self) -> Self {
        self.op(&[0x1a])
    }
    /// `local.get i`
    pub fn local_get(self, local: u32) -> Self {
        self.op_u(&[0x20], local.into())
    }
    /// `local.set i`
    pub fn local_set(self, local: u32) -> Self {
        self.op_u(&[0x21], local.into())
    }
    /// `local.tee i`
    pub fn local_tee(self, local: u32) -> Self {
        self.op_u(&[0x22], local.into())
    }
    /// `global.get i`
    pub fn global_get(self, global: u32) -> Self {
        self.op_u(&[0x23], global.into())
    }
    /// `global.set i`
    pub fn global_set(self, global: u32) -> Self {
        self.op_u(&[0x24], global.into())
    }
    /// `i64.load offset=offset` (align 8)
    pub fn i64_load(self, offset: u32) -> Self {
        self.op(&[0x29, 0x03]).uleb_immediate(offset)
    }
    /// `i64.store offset=offset` (align 8)
    pub fn i64_store(self, offset: u32) -> Self {
        self.op(&[0x37, 0x03]).uleb_immediate(offset)
    }
    /// `memory.grow 0`
    pub fn memory_grow(self) -> Self {
        self.op(&[0x40, 0x00])
    }
    /// `memory.fill 0`: one instruction, however many bytes it writes
    pub fn memory_fill(self) -> Self {
        self.op(&[0xfc, 11, 0x00])
    }
    /// `i32.const value`
    pub fn i32_const(mut self, value: i32) -> Self {
        self.bytes.push(0x41);
        sleb(&mut self.bytes, value.into());
        self
    }
    /// `i32.add`
    pub fn i32_add(self) -> Self {
        self.op(&[0x6a])
    }
    /// `i32.sub`
    pub fn i32_sub(self) -> Self {
        self.op(&[0x6b])
    }
    /// `i32.and`
    pub fn i32_and(self) -> Self {
        self.op(&[0x71])
    }
    /// `i32.eqz`
    pub fn i32_eqz(self) -> Self {
        self.op(&[0x45])
    }
    /// `i32.eq`
    pub fn i32_eq(self) -> Self {
        self.op(&[0x46])
    }
    /// `f32.convert_i32_s`
    pub fn f32_convert_i32_s(self) -> Self {
        self.op(&[0xb2])
    }
    /// `f32.div`
    pub fn f32_div(self) -> Self {
        self.op(&[0x95])
    }
    /// `i32.reinterpret_f32`
    pub fn i32_reinterpret_f32(self) -> Self {
        self.op(&[0xbc])
    }
    /// `ref.null func`
    pub fn ref_null_func(self) -> Self {
        self.op(&[0xd0, 0x70])
    }
    /// `table.grow t`
    pub fn table_grow(self, table: u32) -> Self {
        self.op_u(&[0xfc, 15], table.into())
    }

    fn uleb_immediate(mut self, value: u32) -> Self {
        uleb(&mut self.bytes, value.into());
        self
    }

    fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        uleb(&mut body, self.locals.len() as u64);
        for (count, ty) in &self.locals {
            uleb(&mut body, (*count).into());
            body.push(*ty);
        }
        body.extend_from_slice(&self.bytes);
        let mut out = Vec::new();
        uleb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
        out
    }
}

/// A core module: types, functions, a table, a memory, globals, exports and data.
#[derive(Debug, Clone, Default)]
pub struct CoreModule {
    types: Vec<(Vec<u8>, Vec<u8>)>,
    funcs: Vec<(u32, Code)>,
    tables: Vec<(u64, Option<u64>)>,
    memory: Option<(u64, Option<u64>)>,
    globals: Vec<i32>,
    exports: Vec<(String, u8, u32)>,
    data: Vec<(i32, Vec<u8>)>,
}

impl CoreModule {
    /// An empty module.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a function type; returns its index.
    pub fn func_type(&mut self, params: &[u8], results: &[u8]) -> u32 {
        self.types.push((params.to_vec(), results.to_vec()));
        self.types.len() as u32 - 1
    }

    /// Adds a function of type `ty`; returns its index.
    pub fn func(&mut self, ty: u32, code: Code) -> u32 {
        self.funcs.push((ty, code));
        self.funcs.len() as u32 - 1
    }

    /// Adds a `funcref` table with `min` elements (and at most `max`).
    pub fn table(&mut self, min: u64, max: Option<u64>) -> u32 {
        self.tables.push((min, max));
        self.tables.len() as u32 - 1
    }

    /// Replaces the body of function `index`.
    pub fn set_func(&mut self, index: usize, code: Code) {
        self.funcs[index].1 = code;
    }

    /// Resizes table `index` to `min` elements (and at most `max`).
    pub fn set_table(&mut self, index: usize, min: u64, max: Option<u64>) {
        self.tables[index] = (min, max);
    }

    /// Sets the memory: `min` pages (and at most `max`).
    pub fn memory(&mut self, min: u64, max: Option<u64>) {
        self.memory = Some((min, max));
    }

    /// Adds a mutable `i32` global starting at `init`; returns its index.
    pub fn global(&mut self, init: i32) -> u32 {
        self.globals.push(init);
        self.globals.len() as u32 - 1
    }

    /// Exports function `func` as `name`.
    pub fn export_func(&mut self, name: &str, func: u32) {
        self.exports.push((name.into(), 0x00, func));
    }

    /// Exports the memory as `name`.
    pub fn export_memory(&mut self, name: &str) {
        self.exports.push((name.into(), 0x02, 0));
    }

    /// Places `bytes` at `offset` of the memory.
    pub fn data(&mut self, offset: i32, bytes: Vec<u8>) {
        self.data.push((offset, bytes));
    }

    /// The module's binary encoding.
    pub fn encode(&self) -> Vec<u8> {
        let limits = |min: u64, max: Option<u64>| {
            let mut out = vec![u8::from(max.is_some())];
            uleb(&mut out, min);
            if let Some(max) = max {
                uleb(&mut out, max);
            }
            out
        };
        let mut out = CORE_PREAMBLE.to_vec();
        let types: Vec<Vec<u8>> = self
            .types
            .iter()
            .map(|(params, results)| {
                let mut ty = vec![0x60];
                uleb(&mut ty, params.len() as u64);
                ty.extend_from_slice(params);
                uleb(&mut ty, results.len() as u64);
                ty.extend_from_slice(results);
                ty
            })
            .collect();
        section(&mut out, 1, &vector(&types));
        let funcs: Vec<Vec<u8>> = self
            .funcs
            .iter()
            .map(|(ty, _)| {
                let mut index = Vec::new();
                uleb(&mut index, (*ty).into());
                index
            })
            .collect();
        section(&mut out, 3, &vector(&funcs));
        if !self.tables.is_empty() {
            let tables: Vec<Vec<u8>> = self
                .tables
                .iter()
                .map(|(min, max)| {
                    let mut table = vec![0x70];
                    table.extend(limits(*min, *max));
                    table
                })
                .collect();
            section(&mut out, 4, &vector(&tables));
        }
        if let Some((min, max)) = self.memory {
            section(&mut out, 5, &vector(&[limits(min, max)]));
        }
        if !self.globals.is_empty() {
            let globals: Vec<Vec<u8>> = self
                .globals
                .iter()
                .map(|init| {
                    let mut global = vec![I32, 0x01, 0x41];
                    sleb(&mut global, (*init).into());
                    global.push(0x0b);
                    global
                })
                .collect();
            section(&mut out, 6, &vector(&globals));
        }
        let exports: Vec<Vec<u8>> = self
            .exports
            .iter()
            .map(|(export, kind, index)| {
                let mut entry = Vec::new();
                name(&mut entry, export);
                entry.push(*kind);
                uleb(&mut entry, (*index).into());
                entry
            })
            .collect();
        section(&mut out, 7, &vector(&exports));
        let bodies: Vec<Vec<u8>> = self.funcs.iter().map(|(_, code)| code.encode()).collect();
        section(&mut out, 10, &vector(&bodies));
        if !self.data.is_empty() {
            let segments: Vec<Vec<u8>> = self
                .data
                .iter()
                .map(|(offset, bytes)| {
                    let mut segment = vec![0x00, 0x41];
                    sleb(&mut segment, (*offset).into());
                    segment.push(0x0b);
                    uleb(&mut segment, bytes.len() as u64);
                    segment.extend_from_slice(bytes);
                    segment
                })
                .collect();
            section(&mut out, 11, &vector(&segments));
        }
        out
    }
}
