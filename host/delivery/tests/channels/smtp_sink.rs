//! The aiosmtpd sink (tests/smtp/sink.py) as a child process.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    sync::OnceLock,
};

/// The python that has aiosmtpd: `NUDGE_TEST_PYTHON`, else a venv made
/// once by tests/smtp/setup.sh under cargo's target tmp dir.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        if let Some(python) = std::env::var_os("NUDGE_TEST_PYTHON").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(python));
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/setup.sh");
        let venv = concat!(env!("CARGO_TARGET_TMPDIR"), "/nudge-smtp-venv");
        let output = Command::new("bash").arg(script).arg(venv).stderr(Stdio::inherit()).output();
        match output {
            Ok(out) if out.status.success() => Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())),
            Ok(out) => Err(format!("{script} exited with {}", out.status)),
            Err(e) => Err(format!("cannot run {script}: {e}")),
        }
    });
    match found {
        Ok(python) => python.clone(),
        Err(why) => panic!(
            "the SMTP tests need a Python with aiosmtpd and could not make one ({why}). \
             Run `export NUDGE_TEST_PYTHON=\"$(host/delivery/tests/smtp/setup.sh)\"` \
             (needs python3-venv and access to PyPI), then run the tests again"
        ),
    }
}

/// A running sink; killed when dropped.
pub struct SmtpSink {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts a sink with `args` (--reject, --tempfail, --user, --password).
    pub fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP sink did not print its port: {line:?}"));
        Self { child, _stdin: stdin, port, dir }
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// How many messages it has received.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml")))
            .count()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
