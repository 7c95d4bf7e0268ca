//! Placeholder for `push`, `rollback` and `history` (publishing configs to KV), which are
//! being written separately; this file is replaced when they land.

use std::process::ExitCode;

/// Arguments of `tailor push`.
#[derive(clap::Args, Debug)]
pub struct PushArgs {}

/// Arguments of `tailor rollback`.
#[derive(clap::Args, Debug)]
pub struct RollbackArgs {}

/// Arguments of `tailor history`.
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {}

fn not_available(command: &str) -> ExitCode {
    eprintln!("tailor {command}: not available yet");
    ExitCode::from(2)
}

/// `tailor push`.
pub fn push(_args: &PushArgs) -> ExitCode {
    not_available("push")
}

/// `tailor rollback`.
pub fn rollback(_args: &RollbackArgs) -> ExitCode {
    not_available("rollback")
}

/// `tailor history`.
pub fn history(_args: &HistoryArgs) -> ExitCode {
    not_available("history")
}
