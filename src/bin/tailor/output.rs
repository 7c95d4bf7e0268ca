//! Writing to stdout as a command-line tool should: a reader that goes away early
//! (`tailor schema | head`) ends the output quietly instead of panicking.

use std::io::{ErrorKind, Write};

/// Writes `bytes` to stdout; exits (0 on a closed pipe, 1 on any other failure) if it cannot.
pub fn write(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("tailor: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// `println!` through [`write`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}
pub(crate) use out;
