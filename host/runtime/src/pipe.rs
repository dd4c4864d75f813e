//! Bounded capture of a plugin's stdout and stderr.
//!
//! Output up to the cap is kept; the rest is accepted and dropped, and the
//! log says so. A plugin that prints too much loses output, it does not
//! fail: a closed stream would make ordinary language runtimes panic.

use std::{
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::{
    async_trait,
    cli::{IsTerminal, StdoutStream},
    p2::{OutputStream, Pollable, StreamResult},
};

/// Kept bytes and whether any were dropped.
#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: bool,
}

/// A capped, shared output buffer.
#[derive(Debug, Clone)]
pub(crate) struct BoundedPipe {
    cap: usize,
    inner: Arc<Mutex<Captured>>,
}

impl BoundedPipe {
    pub fn new(cap: usize) -> Self {
        Self { cap, inner: Arc::default() }
    }

    fn push(&self, data: &[u8]) {
        let mut captured = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let room = self.cap.saturating_sub(captured.bytes.len());
        if data.len() > room {
            captured.dropped = true;
        }
        captured.bytes.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// What was kept, and whether anything was dropped.
    pub fn contents(&self) -> (Vec<u8>, bool) {
        let captured = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        (captured.bytes.clone(), captured.dropped)
    }
}

impl IsTerminal for BoundedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait]
impl Pollable for BoundedPipe {
    async fn ready(&mut self) {}
}

impl OutputStream for BoundedPipe {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always ready: what does not fit is dropped, not refused.
        Ok(64 << 10)
    }
}

impl AsyncWrite for BoundedPipe {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_and_remembers_dropping() {
        let mut pipe = BoundedPipe::new(4);
        pipe.write(Bytes::from_static(b"abc")).unwrap();
        assert_eq!(pipe.contents(), (b"abc".to_vec(), false));
        pipe.write(Bytes::from_static(b"defg")).unwrap();
        assert_eq!(pipe.contents(), (b"abcd".to_vec(), true));
        assert!(pipe.check_write().unwrap() > 0, "a full pipe still accepts writes");
    }
}
