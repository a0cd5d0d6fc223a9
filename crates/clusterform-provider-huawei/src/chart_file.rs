//! What the provider reads from a chart file on disk: its bytes, their sha256, and the chart's
//! name and version from the archive's `Chart.yaml`, so a chart can be found by its natural key
//! and a changed archive noticed before planning without the user restating either.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Helm's limit on one decompressed file; `Chart.yaml` is far smaller.
const MAX_CHART_YAML: u64 = 5 * 1024 * 1024;
/// Helm's limit on the decompressed size of a whole chart.
const MAX_DECOMPRESSED: u64 = 100 * 1024 * 1024;

/// Why a chart file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChartFileError {
    #[error("failed to read chart file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("chart file {path} is not a gzip-compressed tar archive: {source}")]
    Archive {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("chart file {path} has no Chart.yaml in its top-level directory")]
    NoChartYaml { path: PathBuf },
    #[error("chart file {path}: Chart.yaml has no `{field}`")]
    MissingField { path: PathBuf, field: &'static str },
}

/// A chart file as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    pub bytes: Vec<u8>,
    /// Hex sha256 of `bytes`.
    pub sha256: String,
}

/// `Chart.yaml`'s natural key of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartMeta {
    pub name: String,
    pub version: String,
}

/// Hex sha256 of the bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `file` resolved against the stack directory when it is relative.
pub fn resolve(base_dir: Option<&Path>, file: &str) -> PathBuf {
    match base_dir {
        Some(base) if Path::new(file).is_relative() => base.join(file),
        _ => PathBuf::from(file),
    }
}

/// Reads the file and hashes it.
pub fn read(path: &Path) -> Result<ChartFile, ChartFileError> {
    let bytes = std::fs::read(path).map_err(|source| ChartFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let sha256 = sha256_hex(&bytes);
    Ok(ChartFile { bytes, sha256 })
}

/// The name and version of the chart packaged in `bytes` (a Helm `.tgz`): `Chart.yaml` of the
/// archive's top-level directory, as Helm's loader finds it.
pub fn meta(path: &Path, bytes: &[u8]) -> Result<ChartMeta, ChartFileError> {
    let archive_err = |source| ChartFileError::Archive {
        path: path.to_path_buf(),
        source,
    };
    let gz = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED);
    let mut archive = tar::Archive::new(gz);
    for entry in archive.entries().map_err(archive_err)? {
        let entry = entry.map_err(archive_err)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(archive_err)?
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = name
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        if parts.len() != 2 || parts[1] != "Chart.yaml" {
            continue;
        }
        let mut text = String::new();
        entry
            .take(MAX_CHART_YAML)
            .read_to_string(&mut text)
            .map_err(archive_err)?;
        let field = |key: &'static str| {
            top_level_scalar(&text, key).ok_or(ChartFileError::MissingField {
                path: path.to_path_buf(),
                field: key,
            })
        };
        return Ok(ChartMeta {
            name: field("name")?,
            version: field("version")?,
        });
    }
    Err(ChartFileError::NoChartYaml {
        path: path.to_path_buf(),
    })
}

/// The value of a top-level `key: scalar` line of a YAML mapping (quotes and a trailing comment
/// removed). `Chart.yaml`'s `name` and `version` are always plain scalars at the top level, so
/// this reads them without a YAML parser.
pub fn top_level_scalar(yaml: &str, key: &str) -> Option<String> {
    yaml.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let rest = rest.trim();
        let value = match rest.chars().next()? {
            q @ ('"' | '\'') => {
                let inner = &rest[1..];
                &inner[..inner.find(q)?]
            }
            _ => rest.split(" #").next().unwrap_or(rest).trim(),
        };
        (!value.is_empty()).then(|| value.to_string())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `.tgz` holding `dir/Chart.yaml` with `chart_yaml`, and a values file.
    pub fn tgz(dir: &str, chart_yaml: &str) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut b = tar::Builder::new(gz);
        for (name, text) in [
            (format!("{dir}/Chart.yaml"), chart_yaml),
            (format!("{dir}/values.yaml"), "replicas: 1\n"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, text.as_bytes()).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn meta_reads_name_and_version_of_the_top_level_chart_yaml() {
        let bytes = tgz(
            "web",
            "apiVersion: v2\nname: \"web\"   \nversion: 1.2.3 # bumped\nappVersion: '9'\n",
        );
        let m = meta(Path::new("web.tgz"), &bytes).unwrap();
        assert_eq!(
            m,
            ChartMeta {
                name: "web".into(),
                version: "1.2.3".into()
            }
        );
        let nested = "dependencies:\n  - name: redis\n    version: 9.9.9\nname: app\n";
        assert_eq!(top_level_scalar(nested, "name").as_deref(), Some("app"));
        assert_eq!(top_level_scalar(nested, "version"), None);
    }

    #[test]
    fn meta_refuses_what_is_not_a_chart() {
        let no_version = tgz("web", "name: web\n");
        assert!(matches!(
            meta(Path::new("w.tgz"), &no_version),
            Err(ChartFileError::MissingField {
                field: "version",
                ..
            })
        ));
        assert!(matches!(
            meta(Path::new("w.tgz"), b"not gzip"),
            Err(ChartFileError::Archive { .. })
        ));
        let e = read(Path::new("/nonexistent/w.tgz")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("failed to read chart file /nonexistent/w.tgz"));
    }
}
