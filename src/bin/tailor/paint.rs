//! Colour for the terminal: only when stdout is one and `NO_COLOR` is unset.

use std::io::IsTerminal;

/// Whether to colour stdout.
pub fn enabled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `text` in ANSI colour `code` (31 red, 32 green, 33 yellow, 2 dim) when colour is on.
pub fn paint(text: &str, code: u8) -> String {
    if enabled() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// "error" in red.
pub fn error() -> String {
    paint("error", 31)
}

/// "warning" in yellow.
pub fn warning() -> String {
    paint("warning", 33)
}

/// `text` in green.
pub fn good(text: &str) -> String {
    paint(text, 32)
}

/// `text` dimmed.
pub fn dim(text: &str) -> String {
    paint(text, 2)
}
