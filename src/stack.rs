//! Reading a stack from disk: its `*.toml` files, variable inputs and the environment, handed to
//! the config crate; diagnostics are printed here, once, with file:line:col.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clusterform_config::{Config, LoadOptions, SourceFile};

use crate::cli::StackArgs;
use crate::output::{self, Ui};

/// A loaded, validated stack.
pub struct Stack {
    pub dir: PathBuf,
    pub config: Config,
}

/// Why loading failed: diagnostics were already printed, or another error to report.
pub enum LoadFailure {
    Reported,
    Error(anyhow::Error),
}

impl From<anyhow::Error> for LoadFailure {
    fn from(e: anyhow::Error) -> Self {
        LoadFailure::Error(e)
    }
}

/// The `*.toml` files of a stack directory, sorted by name.
pub fn read_files(dir: &Path) -> Result<Vec<SourceFile>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read stack directory {}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("failed to read stack directory {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        bail!("no *.toml files in {}\nhint: pass the stack directory, e.g. `clusterform plan examples/quickstart`", dir.display());
    }
    paths.iter().map(|p| read_source(p)).collect()
}

pub fn read_source(path: &Path) -> Result<SourceFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read {}", path.display()))?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        text,
    })
}

/// Everything besides the files that decides variable values: var files, `--var`, environment.
pub fn load_options(dir: &Path, vars: &[String], var_files: &[PathBuf]) -> Result<LoadOptions> {
    let mut parsed = Vec::new();
    for v in vars {
        let Some((k, val)) = v.split_once('=') else {
            bail!("--var `{v}` is not NAME=VALUE\nhint: e.g. --var region=ap-southeast-1");
        };
        parsed.push((k.trim().to_string(), val.to_string()));
    }
    let default_stack_name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "default".to_string());
    Ok(LoadOptions {
        default_stack_name,
        var_files: var_files
            .iter()
            .map(|p| read_source(p))
            .collect::<Result<_>>()?,
        vars: parsed,
        env: std::env::vars().collect::<BTreeMap<_, _>>(),
    })
}

/// Reads, parses and validates a stack; prints every diagnostic on failure.
pub fn load(args: &StackArgs, ui: &Ui) -> Result<Stack, LoadFailure> {
    load_dir(&args.dir, &args.var.vars, &args.var.var_files, ui)
}

pub fn load_dir(
    dir: &Path,
    vars: &[String],
    var_files: &[PathBuf],
    ui: &Ui,
) -> Result<Stack, LoadFailure> {
    let opts = load_options(dir, vars, var_files)?;
    load_with(dir, &opts, ui)
}

/// Reads, parses and validates a stack with the given variable inputs; prints every diagnostic.
pub fn load_with(dir: &Path, opts: &LoadOptions, ui: &Ui) -> Result<Stack, LoadFailure> {
    let files = read_files(dir)?;
    let schemas = crate::providers::schemas();
    match clusterform_config::load(&files, opts, &schemas) {
        Ok(config) => Ok(Stack {
            dir: dir.to_path_buf(),
            config,
        }),
        Err(diags) => {
            output::info(&diags.render());
            let n = diags.0.len();
            output::error(
                ui,
                &format!(
                    "{} found {n} problem{} in {}",
                    "validation",
                    if n == 1 { "" } else { "s" },
                    dir.display()
                ),
            );
            Err(LoadFailure::Reported)
        }
    }
}

/// Parses a duration such as `90s`, `5m`, `1h30m` or `0`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0u64;
    let mut num = String::new();
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => bail!("invalid duration `{text}`\nhint: use e.g. 30s, 5m or 1h30m"),
        };
        let n: u64 = num
            .parse()
            .with_context(|| format!("invalid duration `{text}`"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        num.clear();
        any = true;
    }
    if !num.is_empty() || !any {
        bail!("invalid duration `{text}`\nhint: use e.g. 30s, 5m or 1h30m (a unit is required)");
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "5", "5x", "m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
