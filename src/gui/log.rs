//! The window's log: one timestamped line per thing worth keeping (steps, migrations, the
//! verdict, errors, exports), each with a severity the log pane colours.

use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct LogLine {
    /// Wall-clock time, `HH:MM:SS` UTC.
    pub at: String,
    pub level: Level,
    pub text: String,
}

impl LogLine {
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        Self { at: stamp.get(11..19).unwrap_or_default().to_owned(), level, text: text.into() }
    }

    /// A line as the engine or worker wrote it: a leading "warning" is a warning.
    pub fn from_text(text: impl Into<String>) -> Self {
        let text = text.into();
        let lower = text.to_ascii_lowercase();
        let level = if lower.starts_with("warning") || lower.starts_with("lock wait") {
            Level::Warning
        } else if lower.starts_with("error") {
            Level::Error
        } else {
            Level::Info
        };
        Self::new(level, text)
    }

    pub fn label(&self) -> &'static str {
        match self.level {
            Level::Info => "info",
            Level::Success => "ok",
            Level::Warning => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// Lines as text, one each (what copying the log gives).
pub fn text(lines: &[LogLine]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

impl std::fmt::Display for LogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:<5} {}", self.at, self.label(), self.text)
    }
}
