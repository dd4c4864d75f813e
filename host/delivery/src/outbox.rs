//! The local outbox: one file per notice, written atomically.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use nudge_core::{Channel, NoticeId, TenantId};

use crate::{Error, Message, Result};

/// Delivers messages as files under a directory, one per notice.
///
/// The file is named by the notice id and appears atomically (written to a
/// temporary name, synced, renamed), so a crash never leaves half a message
/// and a retried delivery of the same notice finds it already there.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// The file extension of a channel's messages.
fn extension(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "eml",
        other => other.as_str(),
    }
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The message was written now.
    Written(PathBuf),
    /// A file for this notice already existed; nothing was written.
    AlreadyDelivered(PathBuf),
}

impl Outbox {
    /// An outbox in `dir` (created on first delivery).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The outbox directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a notice is (or would be) delivered to.
    pub fn path_of(&self, message: &Message) -> PathBuf {
        let ext = extension(message.channel);
        self.dir.join(message.tenant.as_str()).join(format!("{}.{ext}", message.notice))
    }

    /// The channel a message named by `notice` was delivered on, on any
    /// channel, if it was.
    pub fn delivered(&self, tenant: &TenantId, notice: &NoticeId) -> Result<Option<Channel>> {
        for channel in Channel::ALL {
            let path = self.dir.join(tenant.as_str()).join(format!("{notice}.{}", extension(channel)));
            match fs::metadata(&path) {
                Ok(_) => return Ok(Some(channel)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(Error::Io { path: path.display().to_string(), source }),
            }
        }
        Ok(None)
    }

    /// Delivers `message` unless its notice was delivered already.
    pub fn deliver(&self, message: &Message) -> Result<Delivery> {
        let path = self.path_of(message);
        if path.exists() {
            return Ok(Delivery::AlreadyDelivered(path));
        }
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let parent = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(parent).map_err(io)?;
        let tmp = parent.join(format!(".{}.tmp", message.notice));
        let mut file = fs::File::create(&tmp).map_err(io)?;
        file.write_all(message.to_text().as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        Ok(Delivery::Written(path))
    }

    /// The files delivered for one notice (one per channel tried), oldest name first.
    pub fn files_of(&self, tenant: &TenantId, notice: &NoticeId) -> Result<Vec<PathBuf>> {
        let dir = self.dir.join(tenant.as_str());
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::Io { path: dir.display().to_string(), source }),
        };
        let prefix = format!("{notice}.");
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io { path: dir.display().to_string(), source })?;
            if entry.file_name().to_str().is_some_and(|name| name.starts_with(&prefix)) {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }

    /// Rewrites a notice's delivered files with every occurrence of each of
    /// `needles` replaced by `replacement` (atomically, as on delivery), and
    /// removes a half-written temporary file of the notice. Returns how many
    /// files changed. The files stay, so the notice still counts as delivered.
    pub fn redact(&self, tenant: &TenantId, notice: &NoticeId, needles: &[&str], replacement: &str) -> Result<usize> {
        let mut changed = 0;
        for path in self.files_of(tenant, notice)? {
            let io = |source| Error::Io { path: path.display().to_string(), source };
            let text = fs::read_to_string(&path).map_err(io)?;
            let mut next = text.clone();
            for needle in needles.iter().filter(|n| !n.is_empty()) {
                next = next.replace(needle, replacement);
            }
            if next == text {
                continue;
            }
            let parent = path.parent().unwrap_or(&self.dir);
            let tmp = parent.join(format!(".{notice}.redact.tmp"));
            let mut file = fs::File::create(&tmp).map_err(io)?;
            file.write_all(next.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            fs::rename(&tmp, &path).map_err(io)?;
            changed += 1;
        }
        let partial = self.dir.join(tenant.as_str()).join(format!(".{notice}.tmp"));
        match fs::remove_file(&partial) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Io { path: partial.display().to_string(), source }),
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::{Channel, InvoiceId, NoticeId, TenantId};

    #[test]
    fn a_notice_is_delivered_once() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        let tenant = TenantId::new("acme").unwrap();
        let message = Message {
            notice: NoticeId::derive(&tenant, &InvoiceId::new("1").unwrap(), "overdue-1"),
            tenant,
            channel: Channel::Email,
            to: "a@example.invalid".into(),
            from_name: "Acme".into(),
            subject: "Hi".into(),
            body: "Pay".into(),
            html: None,
            sent_at: jiff::Timestamp::UNIX_EPOCH,
            headers: vec![("Step".into(), "overdue-1".into())],
        };
        let Delivery::Written(path) = outbox.deliver(&message).unwrap() else { panic!("first delivery must write") };
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("Subject: Hi\n") && text.contains("X-Nudge-Step: overdue-1\n") && text.ends_with("\nPay\n")
        );
        assert_eq!(outbox.deliver(&message).unwrap(), Delivery::AlreadyDelivered(path.clone()));
        assert_eq!(outbox.files_of(&message.tenant, &message.notice).unwrap(), vec![path.clone()]);
        assert_eq!(outbox.redact(&message.tenant, &message.notice, &["a@example.invalid"], "[erased]").unwrap(), 1);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("To: [erased]\n") && !text.contains("a@example"), "{text}");
        assert_eq!(outbox.redact(&message.tenant, &message.notice, &["a@example.invalid"], "[erased]").unwrap(), 0);
        let other = NoticeId::derive(&message.tenant, &InvoiceId::new("2").unwrap(), "overdue-1");
        assert!(outbox.files_of(&message.tenant, &other).unwrap().is_empty());
    }
}
