//! `clusterform fmt`: rewrite stack files in canonical form (comments kept); `--check` only reports.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::FmtArgs;
use crate::exit::Outcome;
use crate::output::{self, Ui};
use crate::stack;

pub fn run(args: &FmtArgs, ui: &Ui) -> Result<Outcome> {
    let mut files: Vec<PathBuf> = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            files.extend(stack::read_files(p)?.into_iter().map(|f| f.path));
        } else {
            files.push(p.clone());
        }
    }
    let mut changed = Vec::new();
    let mut failed = false;
    for path in &files {
        let src = stack::read_source(path)?;
        match clusterform_config::format_source(&src) {
            Ok(formatted) if formatted != src.text => {
                if !args.check {
                    write_atomic(path, &formatted)?;
                }
                changed.push(path.display().to_string());
            }
            Ok(_) => {}
            Err(diags) => {
                // Each diagnostic names the file, line and column again, under its snippet.
                output::error(
                    ui,
                    &format!("cannot format {}:\n{}", path.display(), diags.render()),
                );
                failed = true;
            }
        }
    }
    for c in &changed {
        output::data(c);
    }
    if failed || (args.check && !changed.is_empty()) {
        if args.check && !changed.is_empty() {
            output::info(&format!(
                "{} file(s) would be reformatted; run `clusterform fmt`",
                changed.len()
            ));
        }
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Success)
}

/// Writes through a temporary file and a rename, so an interrupted fmt never truncates a file.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.fmt-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to replace {}", path.display()))
}
