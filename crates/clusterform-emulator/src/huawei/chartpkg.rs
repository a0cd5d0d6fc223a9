//! Reading an uploaded Helm chart package (`.tgz`): gunzip, untar, then `Chart.yaml` and
//! `values.yaml` of the chart's top-level directory, as Helm's archive loader does.
//!
//! Structural problems (not gzip, not tar, no `Chart.yaml`, missing name or version,
//! unreadable YAML) always refuse the upload; [`lint`] adds the checks that the upload's
//! `skip_lint` parameter turns off.

use crate::yaml::{self, Scalars};
use serde_json::{Map, Value};
use std::io::Read;

/// Helm's limit on the decompressed size of a whole chart.
const MAX_DECOMPRESSED: u64 = 100 * 1024 * 1024;
/// Helm's limit on one decompressed file.
const MAX_FILE: u64 = 5 * 1024 * 1024;

/// What the emulator keeps of a chart package.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPackage {
    /// The top-level directory of the archive.
    pub dir: String,
    /// `Chart.yaml` `apiVersion` (may be empty; lint requires v1 or v2).
    pub api_version: String,
    /// `Chart.yaml` `name`.
    pub name: String,
    /// `Chart.yaml` `version`.
    pub version: String,
    /// `Chart.yaml` `description`.
    pub description: String,
    /// `Chart.yaml` `appVersion`.
    pub app_version: String,
    /// `Chart.yaml` `icon`.
    pub icon: String,
    /// `values.yaml` as a JSON object (`{}` when absent or empty).
    pub values: Value,
    /// Whether the chart has a `README.md`.
    pub has_readme: bool,
}

/// Why an archive is not a chart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    /// Not a gzip-compressed tar archive.
    #[error("the chart package is not a gzip-compressed tar archive: {0}")]
    Archive(String),
    /// `Chart.yaml` is missing or not in the chart's directory.
    #[error("the chart package has no Chart.yaml in its top-level directory")]
    NoChartYaml,
    /// The archive holds more than one top-level directory.
    #[error("the chart package has more than one top-level directory ({0}, {1})")]
    SeveralCharts(String, String),
    /// A file is over Helm's size limit.
    #[error("{0} is larger than {MAX_FILE} bytes")]
    TooLarge(String),
    /// `Chart.yaml` is invalid.
    #[error("Chart.yaml: {0}")]
    ChartYaml(String),
    /// `values.yaml` is invalid.
    #[error("values.yaml: {0}")]
    Values(String),
    /// A lint check failed.
    #[error("chart lint failed: {0}")]
    Lint(String),
}

fn read_file(entry: &mut impl Read, name: &str) -> Result<String, ChartError> {
    let mut buf = Vec::new();
    entry
        .take(MAX_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ChartError::Archive(e.to_string()))?;
    if buf.len() as u64 > MAX_FILE {
        return Err(ChartError::TooLarge(name.into()));
    }
    String::from_utf8(buf).map_err(|_| ChartError::Archive(format!("{name} is not UTF-8 text")))
}

/// Unpacks `bytes` and reads the chart's metadata and default values.
pub fn read(bytes: &[u8]) -> Result<ChartPackage, ChartError> {
    let gz = flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED);
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| ChartError::Archive(e.to_string()))?;
    let mut dir: Option<String> = None;
    let mut chart_yaml = None;
    let mut values_yaml = None;
    let mut has_readme = false;
    for entry in entries {
        let mut entry = entry.map_err(|e| ChartError::Archive(e.to_string()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| ChartError::Archive(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some((top, rest)) = parts.split_first() else {
            continue;
        };
        if rest.is_empty() {
            // Helm refuses a Chart.yaml outside the chart directory; other loose files are
            // ignored like the pax headers some tar writers add.
            if *top == "Chart.yaml" {
                return Err(ChartError::NoChartYaml);
            }
            continue;
        }
        match &dir {
            Some(d) if d != top => {
                return Err(ChartError::SeveralCharts(d.clone(), top.to_string()))
            }
            Some(_) => {}
            None => dir = Some(top.to_string()),
        }
        match rest {
            ["Chart.yaml"] => chart_yaml = Some(read_file(&mut entry, &path)?),
            ["values.yaml"] => values_yaml = Some(read_file(&mut entry, &path)?),
            [f] if f.eq_ignore_ascii_case("README.md") => has_readme = true,
            _ => {}
        }
    }
    let chart_yaml = chart_yaml.ok_or(ChartError::NoChartYaml)?;
    let meta = match yaml::parse(&chart_yaml, Scalars::Strings) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(ChartError::ChartYaml("must be a mapping".into())),
        Err(e) => return Err(ChartError::ChartYaml(e.to_string())),
    };
    let field = |k: &str| {
        meta.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let name = field("name");
    if name.is_empty() {
        return Err(ChartError::ChartYaml("name is required".into()));
    }
    let version = field("version");
    if version.is_empty() {
        return Err(ChartError::ChartYaml("version is required".into()));
    }
    let values = match values_yaml
        .as_deref()
        .map(|t| yaml::parse(t, Scalars::Typed))
    {
        None | Some(Ok(Value::Null)) => Value::Object(Map::new()),
        Some(Ok(v @ Value::Object(_))) => v,
        Some(Ok(_)) => return Err(ChartError::Values("must be a mapping".into())),
        Some(Err(e)) => return Err(ChartError::Values(e.to_string())),
    };
    Ok(ChartPackage {
        dir: dir.unwrap_or_default(),
        api_version: field("apiVersion"),
        name,
        version,
        description: field("description"),
        app_version: field("appVersion"),
        icon: field("icon"),
        values,
        has_readme,
    })
}

/// Helm's loose SemVer (Masterminds `NewVersion`): optional `v`, one to three numeric parts,
/// optional `-pre-release` and `+build`.
fn loose_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, build) = v.split_once('+').unwrap_or((v, ""));
    let (core, pre) = core.split_once('-').unwrap_or((core, ""));
    let ident_ok = |s: &str| {
        s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    let nums: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&nums.len())
        && nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && (pre.is_empty() || ident_ok(pre))
        && (build.is_empty() || ident_ok(build))
        && !(v.contains('-') && pre.is_empty())
        && !(v.contains('+') && build.is_empty())
}

/// The checks `skip_lint` turns off: `apiVersion` v1/v2, a SemVer version, a name that is a
/// single path segment and matches the chart's directory.
pub fn lint(p: &ChartPackage) -> Result<(), ChartError> {
    if !matches!(p.api_version.as_str(), "v1" | "v2") {
        return Err(ChartError::Lint(format!(
            "apiVersion must be v1 or v2, not {:?}",
            p.api_version
        )));
    }
    if !loose_semver(&p.version) {
        return Err(ChartError::Lint(format!(
            "version {:?} is not a valid SemVer",
            p.version
        )));
    }
    if p.name.contains(['/', '\\']) || p.name.chars().any(char::is_whitespace) {
        return Err(ChartError::Lint(format!(
            "chart name {:?} is invalid",
            p.name
        )));
    }
    if p.name != p.dir {
        return Err(ChartError::Lint(format!(
            "directory name ({}) and chart name ({}) must match",
            p.dir, p.name
        )));
    }
    Ok(())
}

/// Builds a chart package in memory (tests here and in the world tests).
#[cfg(test)]
pub fn build_tgz(files: &[(&str, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, text.as_bytes()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CHART: &str = "apiVersion: v2\nname: web\ndescription: A web server\nversion: 1.2.0\nappVersion: \"1.25\"\nicon: https://example.com/web.png\n";

    #[test]
    fn reads_metadata_values_and_readme() {
        let tgz = build_tgz(&[
            ("web/Chart.yaml", CHART),
            (
                "web/values.yaml",
                "replicaCount: 2\nimage:\n  tag: stable\n",
            ),
            ("web/README.md", "# web\n"),
            ("web/templates/deploy.yaml", "kind: Deployment\n"),
            ("web/charts/dep/Chart.yaml", "name: dep\nversion: 0.1.0\n"),
        ]);
        let p = read(&tgz).unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.app_version.as_str()),
            ("web", "1.2.0", "1.25")
        );
        assert_eq!(p.description, "A web server");
        assert_eq!(p.icon, "https://example.com/web.png");
        assert_eq!(
            p.values,
            json!({"replicaCount": 2, "image": {"tag": "stable"}})
        );
        assert!(p.has_readme);
        lint(&p).unwrap();
    }

    #[test]
    fn values_default_to_an_empty_object() {
        let p = read(&build_tgz(&[("web/Chart.yaml", CHART)])).unwrap();
        assert_eq!(p.values, json!({}));
        assert!(!p.has_readme);
        let p = read(&build_tgz(&[
            ("web/Chart.yaml", CHART),
            ("web/values.yaml", "# none\n"),
        ]))
        .unwrap();
        assert_eq!(p.values, json!({}));
    }

    #[test]
    fn refuses_what_is_not_a_chart() {
        assert!(matches!(
            read(b"not a tgz at all"),
            Err(ChartError::Archive(_))
        ));
        assert_eq!(
            read(&build_tgz(&[("web/values.yaml", "a: 1\n")])),
            Err(ChartError::NoChartYaml)
        );
        assert_eq!(
            read(&build_tgz(&[("Chart.yaml", CHART)])),
            Err(ChartError::NoChartYaml)
        );
        assert!(matches!(
            read(&build_tgz(&[("web/Chart.yaml", "name: web\n")])),
            Err(ChartError::ChartYaml(m)) if m.contains("version")
        ));
        assert!(matches!(
            read(&build_tgz(&[
                ("web/Chart.yaml", CHART),
                ("web/values.yaml", "a: [1\n")
            ])),
            Err(ChartError::Values(_))
        ));
        assert!(matches!(
            read(&build_tgz(&[
                ("web/Chart.yaml", CHART),
                ("api/Chart.yaml", CHART)
            ])),
            Err(ChartError::SeveralCharts(..))
        ));
    }

    #[test]
    fn lint_checks_api_version_semver_and_directory() {
        let base = read(&build_tgz(&[("web/Chart.yaml", CHART)])).unwrap();
        let with = |f: &dyn Fn(&mut ChartPackage)| {
            let mut p = base.clone();
            f(&mut p);
            lint(&p)
        };
        assert!(with(&|p| p.api_version = String::new()).is_err());
        assert!(with(&|p| p.version = "one".into()).is_err());
        assert!(with(&|p| p.version = "1.2.3-".into()).is_err());
        assert!(with(&|p| p.version = "v1.0".into()).is_ok());
        assert!(with(&|p| p.version = "1.2.3-rc.1+build.5".into()).is_ok());
        assert!(with(&|p| p.dir = "other".into()).is_err());
    }
}
