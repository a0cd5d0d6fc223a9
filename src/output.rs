//! The only place that writes to the terminal: data to stdout, everything else to stderr.
//! A closed stdout (e.g. `clusterform plan | head`) ends the process cleanly rather than panicking.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How output looks, decided once at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// Colour on stdout (a terminal, and neither `--no-color` nor `NO_COLOR`).
    pub color_stdout: bool,
    /// Colour on stderr.
    pub color_stderr: bool,
    /// stdin is a terminal (an approval prompt can be answered).
    pub stdin_tty: bool,
    /// stderr is a terminal: progress is drawn as live lines.
    pub stderr_tty: bool,
}

impl Ui {
    pub fn detect(no_color_flag: bool) -> Ui {
        let no_color = no_color_flag || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stderr_tty = io::stderr().is_terminal();
        Ui {
            color_stdout: !no_color && io::stdout().is_terminal(),
            color_stderr: !no_color && stderr_tty,
            stdin_tty: io::stdin().is_terminal(),
            stderr_tty,
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

/// The live progress lines being drawn on stderr, if any: messages are printed above them.
static LIVE: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// Writes a message line to stderr (above the live progress lines while they are drawn).
pub fn info(text: &str) {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match live {
        Some(m) => {
            if m.println(text).is_err() {
                let _ = writeln!(io::stderr().lock(), "{text}");
            }
        }
        None => {
            let _ = writeln!(io::stderr().lock(), "{text}");
        }
    }
}

/// Writes an error (and its hint lines) to stderr.
pub fn error(ui: &Ui, text: &str) {
    let prefix = if ui.color_stderr {
        "\x1b[31merror\x1b[0m"
    } else {
        "error"
    };
    info(&format!("{prefix}: {text}"));
}

/// Live progress on a terminal's stderr: one redrawn line per key (a running resource), each
/// replaced by a one-line result when it finishes. The lines' text comes from the caller.
pub struct Live {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    style: ProgressStyle,
}

impl Live {
    /// Starts drawing on stderr; messages from `info` go above the lines until `Live` is dropped.
    pub fn start(color: bool) -> Live {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        *LIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(multi.clone());
        let template = if color {
            "{spinner:.cyan} {msg}"
        } else {
            "{spinner} {msg}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        Live {
            multi,
            bars: Mutex::new(HashMap::new()),
            style,
        }
    }

    /// Shows `line` as the live line of `key`, adding it if new.
    pub fn set(&self, key: &str, line: &str) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bars.entry(key.to_string()).or_insert_with(|| {
            let b = self.multi.add(ProgressBar::new_spinner());
            b.set_style(self.style.clone());
            b
        });
        // No steady tick (a thread per line): the caller redraws a few times a second, and each
        // redraw turns the spinner.
        bar.set_message(line.to_string());
        bar.tick();
    }

    /// Removes the live line of `key` and, if given, prints `result` in its place.
    pub fn finish(&self, key: &str, result: Option<&str>) {
        let bar = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        if let Some(b) = bar {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
        if let Some(r) = result {
            let _ = self.multi.println(r);
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for (_, b) in self.bars.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            b.finish_and_clear();
        }
        let _ = self.multi.clear();
        *LIVE.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Asks a question on stderr and reads one line from stdin on a thread of its own, so the
/// caller can stop waiting (on Ctrl-C) while the read is blocked.
pub fn ask(question: &str) -> io::Result<tokio::sync::oneshot::Receiver<io::Result<String>>> {
    {
        let mut err = io::stderr().lock();
        write!(err, "{question}")?;
        err.flush()?;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let answer = io::stdin()
            .read_line(&mut line)
            .map(|_| line.trim().to_string());
        let _ = tx.send(answer);
    });
    Ok(rx)
}
