//! Where rendered messages go: the [`Sink`] trait, and two sinks that are
//! not the outbox ([`NullSink`] for benchmarks, [`RecordingSink`] for
//! proving that nothing is delivered twice).

use std::{
    fmt::Debug,
    fs::{self, File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
};

use nudge_core::{Channel, NoticeId, TenantId};

use crate::{Delivery, Error, Message, Outbox, Result};

/// A delivery channel as the scheduler sees it.
///
/// The idempotency key of a delivery is `message.notice`: the host asks
/// [`Sink::delivered`] before every send and sends only when the answer is
/// no, so a notice whose delivery is recorded is never delivered again,
/// even after a crash. That holds exactly as far as "recorded" and
/// "accepted" are one durable step (the outbox's rename, the recording
/// sink's appended line); a sink that calls a remote provider must pass the
/// key on, so that the provider drops a second call made after a crash
/// between its acceptance and the host's record.
pub trait Sink: Send + Sync + Debug {
    /// Delivers `message`; a sink that knows the notice was delivered
    /// already answers [`Delivery::AlreadyDelivered`] and sends nothing.
    fn deliver(&self, message: &Message) -> Result<Delivery>;

    /// The channel the message keyed by `notice` was delivered on, if it was.
    fn delivered(&self, tenant: &TenantId, notice: &NoticeId) -> Result<Option<Channel>>;
}

impl Sink for Outbox {
    fn deliver(&self, message: &Message) -> Result<Delivery> {
        Outbox::deliver(self, message)
    }

    fn delivered(&self, tenant: &TenantId, notice: &NoticeId) -> Result<Option<Channel>> {
        Outbox::delivered(self, tenant, notice)
    }
}

/// Discards every message and remembers nothing: for benchmarks that
/// measure the host without the cost of a channel. A notice interrupted by
/// a crash would be delivered again, so never use it for real messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn deliver(&self, _message: &Message) -> Result<Delivery> {
        Ok(Delivery::Written(PathBuf::new()))
    }

    fn delivered(&self, _tenant: &TenantId, _notice: &NoticeId) -> Result<Option<Channel>> {
        Ok(None)
    }
}

/// One line of a [`RecordingSink`]'s log: one call of `deliver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The tenant.
    pub tenant: TenantId,
    /// The idempotency key: the (first) notice of the message.
    pub notice: NoticeId,
    /// The channel.
    pub channel: Channel,
    /// The message's `sent_at`, RFC 3339.
    pub sent_at: String,
    /// The message's extra headers (`Invoice`, `Step`, `Also-Covers`, ...).
    pub headers: Vec<(String, String)>,
}

/// A stand-in provider that accepts every call and appends it to a log,
/// one line per call, written with one `write` and synced before `deliver`
/// returns: the line is the provider's acceptance. It never deduplicates by
/// itself, so a second call with the same key shows as a second line; the
/// host's check ([`Sink::delivered`], answered from the same log) is what
/// keeps each key to one line.
#[derive(Debug)]
pub struct RecordingSink {
    path: PathBuf,
    file: Mutex<File>,
}

/// Tabs and line breaks would break the line format; they become spaces.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

impl RecordingSink {
    /// A sink appending to the log at `path` (created if missing; kept if
    /// there, so a restarted host sees what an earlier process delivered).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new().create(true).append(true).read(true).open(&path).map_err(io)?;
        // A line torn by a crash is ended, so the next call starts a line of its own.
        let text = fs::read(&path).map_err(io)?;
        if text.last().is_some_and(|b| *b != b'\n') {
            file.write_all(b"\n").map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        Ok(Self { path, file: Mutex::new(file) })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every complete line of the log at `path`, in order, and the number of
    /// torn lines (a call cut off mid-write, which delivered nothing).
    pub fn read(path: &Path) -> Result<(Vec<Recorded>, usize)> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(Error::Io { path: path.display().to_string(), source }),
        };
        let (mut calls, mut torn) = (Vec::new(), 0);
        for line in text.split_inclusive('\n') {
            match line.strip_suffix('\n').and_then(parse) {
                Some(call) => calls.push(call),
                None => torn += 1,
            }
        }
        Ok((calls, torn))
    }
}

/// One log line: tenant, notice, channel, sent_at, then `name=value` headers, tab-separated.
fn parse(line: &str) -> Option<Recorded> {
    let mut fields = line.split('\t');
    let tenant = TenantId::new(fields.next()?).ok()?;
    let notice = NoticeId::parse(fields.next()?)?;
    let channel = fields.next()?;
    let channel = Channel::ALL.into_iter().find(|c| c.as_str() == channel)?;
    let sent_at = fields.next()?.to_string();
    let headers =
        fields.map(|f| f.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))).collect::<Option<Vec<_>>>()?;
    Some(Recorded { tenant, notice, channel, sent_at, headers })
}

impl Sink for RecordingSink {
    fn deliver(&self, message: &Message) -> Result<Delivery> {
        let mut line =
            format!("{}\t{}\t{}\t{}", message.tenant, message.notice, message.channel.as_str(), message.sent_at);
        for (name, value) in &message.headers {
            line.push_str(&format!("\t{}={}", clean(name).replace('=', " "), clean(value)));
        }
        line.push('\n');
        let io = |source| Error::Io { path: self.path.display().to_string(), source };
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(Delivery::Written(self.path.clone()))
    }

    /// Reads the whole log: fine for tests and crash drills, not for volume.
    fn delivered(&self, tenant: &TenantId, notice: &NoticeId) -> Result<Option<Channel>> {
        // Read under the lock: no call is half-written by this process meanwhile.
        let _guard = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (calls, _) = Self::read(&self.path)?;
        Ok(calls.into_iter().find(|c| &c.tenant == tenant && &c.notice == notice).map(|c| c.channel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::InvoiceId;

    fn message(invoice: &str) -> Message {
        let tenant = TenantId::new("acme").unwrap();
        Message {
            notice: NoticeId::derive(&tenant, &InvoiceId::new(invoice).unwrap(), "overdue-1"),
            tenant,
            channel: Channel::Sms,
            to: "+15550100".into(),
            from_name: "Acme".into(),
            subject: String::new(),
            body: "Pay".into(),
            sent_at: jiff::Timestamp::UNIX_EPOCH,
            headers: vec![("Invoice".into(), invoice.into()), ("Also-Covers".into(), "b@x, c@y".into())],
            html: None,
        }
    }

    #[test]
    fn every_call_is_a_line_and_the_log_answers_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calls.log");
        let sink = RecordingSink::open(&path).unwrap();
        let (a, b) = (message("a"), message("b"));
        assert_eq!(sink.delivered(&a.tenant, &a.notice).unwrap(), None);
        sink.deliver(&a).unwrap();
        assert_eq!(sink.delivered(&a.tenant, &a.notice).unwrap(), Some(Channel::Sms));
        assert_eq!(sink.delivered(&b.tenant, &b.notice).unwrap(), None);
        // The sink itself never deduplicates: a second call is a second line.
        sink.deliver(&a).unwrap();
        drop(sink);
        // A call cut off mid-line is torn, not delivered.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(format!("acme\t{}\tsm", b.notice).as_bytes()).unwrap();
        let (calls, torn) = RecordingSink::read(&path).unwrap();
        assert_eq!((calls.len(), torn), (2, 1));
        assert_eq!(calls[0], calls[1]);
        assert_eq!(calls[0].headers[1], ("Also-Covers".to_string(), "b@x, c@y".to_string()));
        let reopened = RecordingSink::open(&path).unwrap();
        assert_eq!(reopened.delivered(&b.tenant, &b.notice).unwrap(), None);
        // Reopening ended the torn line: the next call is whole.
        reopened.deliver(&b).unwrap();
        assert_eq!(RecordingSink::read(&path).unwrap().0.len(), 3);
        assert_eq!(reopened.delivered(&b.tenant, &b.notice).unwrap(), Some(Channel::Sms));
        assert_eq!(reopened.delivered(&a.tenant, &a.notice).unwrap(), Some(Channel::Sms));
    }

    #[test]
    fn the_null_sink_keeps_nothing() {
        let m = message("a");
        NullSink.deliver(&m).unwrap();
        assert_eq!(NullSink.delivered(&m.tenant, &m.notice).unwrap(), None);
    }
}
