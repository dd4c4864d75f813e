//! Input and output at the edge: bounded reads of user-supplied files, and
//! writes to stdout that survive a closed pipe.

use std::{
    fs::File,
    io::{self, ErrorKind, Read, Write},
    path::Path,
};

use anyhow::{Context, Result, bail};

/// Reads a whole file of at most `cap` bytes; a larger one (or an endless
/// one such as `/dev/zero`) is refused without being read in full.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > cap {
        bail!("{} is larger than {cap} bytes, the most this command accepts", path.display());
    }
    Ok(bytes)
}

/// A reader that fails once more than `cap` bytes came through, so a
/// streaming parser never sees a silently truncated file.
pub struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Capped<R> {
    /// Wraps `inner`, allowing `cap` bytes.
    pub fn new(inner: R, cap: u64) -> Self {
        Self { inner, left: cap, cap }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more than allowed means the input is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    ErrorKind::InvalidData,
                    format!("the file is larger than {} bytes, the most this command accepts", self.cap),
                )),
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// `text` safe for a terminal: control characters other than newline and
/// tab become `\u{..}` escapes. Plugins choose their names, logs and error
/// texts, and an escape sequence in them must not recolour, retitle or
/// clear the operator's terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes one line to stdout, made [`printable`]. A closed pipe
/// (`nudge ... | head -1`) is not an error worth a panic: the rest of the
/// output is simply not wanted.
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(printable(text).as_bytes()).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written
        && e.kind() != ErrorKind::BrokenPipe
    {
        error_line(&format!("error: cannot write to stdout: {e}"));
    }
}

/// Writes one line to stderr, made [`printable`]; a closed stderr is ignored
/// (there is nowhere left to say anything).
pub fn error_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(printable(text).as_bytes()).and_then(|()| err.write_all(b"\n"));
}

/// `eprintln!` that survives a closed stderr and escapes control characters.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::error_line(&format!($($arg)*))
    };
}

/// `println!` that survives a closed stdout.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::line(&format!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_reads_refuse_what_is_too_large_and_pass_the_rest() {
        let mut ok = String::new();
        Capped::new(&b"abc"[..], 3).read_to_string(&mut ok).unwrap();
        assert_eq!(ok, "abc");
        let mut big = String::new();
        let err = Capped::new(&b"abcd"[..], 3).read_to_string(&mut big).unwrap_err();
        assert!(err.to_string().contains("larger than 3 bytes"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0u8; 10]).unwrap();
        assert_eq!(read_capped(&path, 10).unwrap().len(), 10);
        assert!(read_capped(&path, 9).unwrap_err().to_string().contains("larger than 9 bytes"));
    }

    #[test]
    fn escape_sequences_from_plugins_are_shown_not_obeyed() {
        assert_eq!(printable("plain text\nand a\ttab"), "plain text\nand a\ttab");
        assert_eq!(printable("ev\u{1b}[31mil\u{7}\0x\r"), "ev\\u{1b}[31mil\\u{7}\\u{0}x\\u{d}");
        assert_eq!(printable("C1 \u{9b}2J"), "C1 \\u{9b}2J");
    }
}
