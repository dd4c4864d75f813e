//! A rendered notice, ready for its channel.

use jiff::Timestamp;
use nudge_core::{Channel, NoticeId, TenantId};

/// One message for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The notice it delivers; the idempotency key of the send.
    pub notice: NoticeId,
    /// The tenant sending it.
    pub tenant: TenantId,
    /// The channel.
    pub channel: Channel,
    /// Address or number it goes to.
    pub to: String,
    /// Display name of the sender.
    pub from_name: String,
    /// Subject (email only).
    pub subject: String,
    /// Body text.
    pub body: String,
    /// HTML body (email only): sent as a `multipart/alternative` beside the text.
    pub html: Option<String>,
    /// When it is sent (virtual time in a replay).
    pub sent_at: Timestamp,
    /// Extra headers for tracing the notice: (name, value).
    pub headers: Vec<(String, String)>,
}

impl Message {
    /// The message as text: headers, a blank line, the body. Email gets
    /// RFC 5322 headers; other channels get the same layout for the outbox.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.body.len() + 512);
        let date = self.sent_at.strftime("%a, %d %b %Y %H:%M:%S +0000");
        let tenant = self.tenant.as_str();
        match self.channel {
            Channel::Email => {
                out.push_str(&format!("From: {} <billing@{tenant}.nudge.invalid>\n", self.from_name));
                out.push_str(&format!("To: {}\n", self.to));
                out.push_str(&format!("Subject: {}\n", self.subject));
                out.push_str(&format!("Date: {date}\n"));
                out.push_str(&format!("Message-ID: <{}@{tenant}.nudge.invalid>\n", self.notice));
                match &self.html {
                    None => out.push_str("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"),
                    Some(_) => out.push_str(&format!(
                        "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"{}\"\n",
                        self.boundary()
                    )),
                }
            }
            other => {
                out.push_str(&format!("Channel: {other}\nTo: {}\nDate: {date}\n", self.to));
            }
        }
        out.push_str(&format!("X-Nudge-Notice: {}\n", self.notice));
        for (name, value) in &self.headers {
            out.push_str(&format!("X-Nudge-{name}: {value}\n"));
        }
        out.push('\n');
        match self.html.as_ref().filter(|_| self.channel == Channel::Email) {
            None => push_line_ended(&mut out, &self.body),
            Some(html) => {
                let boundary = self.boundary();
                out.push_str(&format!("--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n"));
                push_line_ended(&mut out, &self.body);
                out.push_str(&format!("--{boundary}\nContent-Type: text/html; charset=utf-8\n\n"));
                push_line_ended(&mut out, html);
                out.push_str(&format!("--{boundary}--\n"));
            }
        }
        out
    }

    /// The MIME boundary, from the notice id: no template field carries
    /// it, so a body cannot end its own part.
    fn boundary(&self) -> String {
        format!("=_nudge_{}", self.notice)
    }
}

fn push_line_ended(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
}
