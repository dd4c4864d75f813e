//! Import errors, with the line they come from.

use std::fmt;

/// One rejected row: its line number in the file and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The column at fault, if one is.
    pub column: Option<&'static str>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// One rejected record of a JSON file: its line, the field and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// 1-based line of the field (or of its record, if the field is missing).
    pub line: u64,
    /// The field, as `invoices[3].due_on`.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, field {}: {}", self.line, self.field, self.message)
    }
}

/// Why a file was not imported. Nothing of it is imported then.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as CSV at all.
    #[error("cannot read CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The header lacks columns the format needs.
    #[error("header is missing column(s) {missing}; expected {expected}")]
    Header {
        /// Missing column names, comma separated.
        missing: String,
        /// Every expected column, comma separated.
        expected: &'static str,
    },
    /// Some rows are invalid; they are all listed.
    #[error("{} row(s) rejected, nothing imported:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowError>),
    /// The file has a header but no rows, or a JSON file has no invoices.
    #[error("the file has no data rows")]
    Empty,
    /// A JSON file is not JSON, or a value has the wrong type or key.
    #[error("line {line}, column {column}{}: {message}", .record.as_ref().map(|r| format!(", in {r}")).unwrap_or_default())]
    Json {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// The record the error is in, as `invoices[3]`, when known.
        record: Option<String>,
        /// What was wrong.
        message: String,
    },
    /// Some JSON records break a rule; they are all listed.
    #[error("{} record(s) rejected, nothing read:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Records(Vec<FieldError>),
}
