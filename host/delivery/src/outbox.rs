//! The local outbox: one file per notice, written atomically.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

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
        let ext = match message.channel {
            nudge_core::Channel::Email => "eml",
            other => other.as_str(),
        };
        self.dir.join(message.tenant.as_str()).join(format!("{}.{ext}", message.notice))
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
            sent_at: jiff::Timestamp::UNIX_EPOCH,
            headers: vec![("Step".into(), "overdue-1".into())],
        };
        let Delivery::Written(path) = outbox.deliver(&message).unwrap() else { panic!("first delivery must write") };
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("Subject: Hi\n") && text.contains("X-Nudge-Step: overdue-1\n") && text.ends_with("\nPay\n")
        );
        assert_eq!(outbox.deliver(&message).unwrap(), Delivery::AlreadyDelivered(path));
    }
}
