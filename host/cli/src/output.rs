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

/// Writes one line to stdout. A closed pipe (`nudge ... | head -1`) is not
/// an error worth a panic: the rest of the output is simply not wanted.
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written
        && e.kind() != ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to stdout: {e}");
    }
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
}
