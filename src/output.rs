//! The only place that writes to the terminal: data to stdout, everything else to stderr.
//! A closed stdout (e.g. `clusterform plan | head`) ends the process cleanly rather than panicking.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, IsTerminal, Write};

/// How output looks, decided once at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// Colour on stdout (a terminal, and neither `--no-color` nor `NO_COLOR`).
    pub color_stdout: bool,
    /// Colour on stderr.
    pub color_stderr: bool,
    /// stdin is a terminal (an approval prompt can be answered).
    pub stdin_tty: bool,
}

impl Ui {
    pub fn detect(no_color_flag: bool) -> Ui {
        let no_color = no_color_flag || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stderr_tty = io::stderr().is_terminal();
        Ui {
            color_stdout: !no_color && io::stdout().is_terminal(),
            color_stderr: !no_color && stderr_tty,
            stdin_tty: io::stdin().is_terminal(),
        }
    }
}

/// Writes data to stdout. A broken pipe exits quietly with success, as `head` expects.
pub fn data(text: &str) {
    let mut out = io::stdout().lock();
    let res = out.write_all(text.as_bytes()).and_then(|_| {
        if !text.ends_with('\n') && !text.is_empty() {
            out.write_all(b"\n")?;
        }
        out.flush()
    });
    if let Err(e) = res {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Writes a message line to stderr.
pub fn info(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Writes an error (and its hint lines) to stderr.
pub fn error(ui: &Ui, text: &str) {
    let prefix = if ui.color_stderr {
        "\x1b[31merror\x1b[0m"
    } else {
        "error"
    };
    let _ = writeln!(io::stderr().lock(), "{prefix}: {text}");
}

/// Asks a question on stderr and reads one line from stdin.
pub fn ask(question: &str) -> io::Result<String> {
    {
        let mut err = io::stderr().lock();
        write!(err, "{question}")?;
        err.flush()?;
    }
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_string())
}
