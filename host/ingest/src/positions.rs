//! Line numbers of records and their fields in a JSON document.
//!
//! `serde_json` reports where the text fails to parse, but once it has
//! parsed the positions are gone. A rule broken by a valid record (an unknown
//! customer, a due date before the issue date) is still worth reporting by
//! line, so this scans the text once, tolerating any garbage, and remembers
//! where each element of the root object's arrays starts and on which line
//! each of its keys stands.

use std::collections::HashMap;

/// Where the records of some top-level arrays start, and their keys.
#[derive(Debug, Default)]
pub struct Positions {
    /// (array, index) → line of the element's first character.
    records: HashMap<(String, usize), u64>,
    /// (array, index, key) → line of the key.
    fields: HashMap<(String, usize, String), u64>,
    /// Record starts in text order: (line, array, index).
    order: Vec<(u64, String, usize)>,
}

enum Frame {
    Object { key: Option<String>, expect_key: bool },
    Array { next: usize },
}

impl Positions {
    /// Scans `text` for the elements of the root object's arrays named in `arrays`.
    pub fn scan(text: &str, arrays: &[&str]) -> Self {
        let mut out = Self::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut line = 1u64;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' => line += 1,
                c if c.is_whitespace() => {}
                ',' => {
                    if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                        *expect_key = true;
                    }
                }
                ':' => {
                    if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                        *expect_key = false;
                    }
                }
                '}' | ']' => {
                    stack.pop();
                }
                '"' => {
                    let start = line;
                    let mut s = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => {
                                chars.next();
                            }
                            '\n' => line += 1,
                            c => s.push(c),
                        }
                    }
                    if let Some(Frame::Object { key, expect_key: true }) = stack.last_mut() {
                        *key = Some(s.clone());
                        out.key(&stack, arrays, s, start);
                    } else {
                        out.value_start(&mut stack, arrays, start);
                    }
                }
                '{' | '[' => {
                    out.value_start(&mut stack, arrays, line);
                    stack.push(if c == '{' {
                        Frame::Object { key: None, expect_key: true }
                    } else {
                        Frame::Array { next: 0 }
                    });
                }
                _ => {
                    // A number or a literal: skip to its end.
                    out.value_start(&mut stack, arrays, line);
                    while chars.peek().is_some_and(|c| !matches!(c, ',' | '}' | ']' | '"') && !c.is_whitespace()) {
                        chars.next();
                    }
                }
            }
        }
        out
    }

    /// The array of interest and the element index the innermost frames are in.
    fn element(stack: &[Frame], arrays: &[&str]) -> Option<(String, usize)> {
        match stack {
            [Frame::Object { key: Some(key), .. }, Frame::Array { next }, ..] if arrays.contains(&key.as_str()) => {
                Some((key.clone(), next.checked_sub(1)?))
            }
            _ => None,
        }
    }

    fn value_start(&mut self, stack: &mut [Frame], arrays: &[&str], line: u64) {
        if let Some(Frame::Array { next }) = stack.last_mut() {
            *next += 1;
            if stack.len() == 2
                && let Some((array, index)) = Self::element(stack, arrays)
            {
                self.records.insert((array.clone(), index), line);
                self.order.push((line, array, index));
            }
        }
    }

    fn key(&mut self, stack: &[Frame], arrays: &[&str], key: String, line: u64) {
        if stack.len() == 3
            && let Some((array, index)) = Self::element(stack, arrays)
        {
            self.fields.entry((array, index, key)).or_insert(line);
        }
    }

    /// The line of `field` in element `index` of `array`: the key's own line
    /// when the record has it, else the record's first line, else 0.
    pub fn line(&self, array: &str, index: usize, field: &str) -> u64 {
        let (array, field) = (array.to_string(), field.to_string());
        self.fields
            .get(&(array.clone(), index, field))
            .or_else(|| self.records.get(&(array, index)))
            .copied()
            .unwrap_or(0)
    }

    /// The record that spans `line`: the last one starting at or before it.
    pub fn record_at(&self, line: u64) -> Option<(&str, usize)> {
        self.order.iter().rev().find(|(start, _, _)| *start <= line).map(|(_, array, index)| (array.as_str(), *index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_records_and_keys_by_line_ignoring_strings_and_nesting() {
        let text = "{\n \"meta\": [1, 2],\n \"a\": [\n  {\"x\": \"},[\\\"\", \"y\": {\"x\": 1}},\n  {\n   \"x\": [3, 4]\n  },\n  7\n ]\n}";
        let p = Positions::scan(text, &["a"]);
        assert_eq!(p.line("a", 0, "x"), 4);
        assert_eq!(p.line("a", 1, "x"), 6);
        assert_eq!(p.line("a", 1, "y"), 5, "a missing key falls back to the record's line");
        assert_eq!(p.line("a", 2, "x"), 8);
        assert_eq!(p.line("meta", 0, "x"), 0, "arrays not asked for are not tracked");
        assert_eq!(p.record_at(6), Some(("a", 1)));
        assert_eq!(p.record_at(2), None);
    }

    #[test]
    fn garbage_does_not_panic() {
        for text in ["", "]]]}}}", "{\"a\": [\"unterminated", "{\"a\": [{\"x\": tru"] {
            let p = Positions::scan(text, &["a"]);
            let _ = p.record_at(1);
        }
    }
}
