//! Kubernetes versions as Huawei writes them (`v1.28`, `v1.28.3-r0`, `v1.19.16-r20`): parsing,
//! ordering, and the major.minor comparison that keeps `v1.28` in a config from diffing against the
//! `v1.28.3-r0` the cloud reports.

use std::cmp::Ordering;
use std::fmt;

/// A parsed version. `patch` and `revision` are absent when the text gives only major.minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
    /// The `-rN` suffix.
    pub revision: Option<u32>,
}

impl Version {
    /// Parses `v1.28`, `1.28`, `v1.28.3`, `v1.28.3-r0`. Anything else is `None`.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let t = t
            .strip_prefix('v')
            .or_else(|| t.strip_prefix('V'))
            .unwrap_or(t);
        let (core, rev) = match t.split_once('-') {
            Some((c, r)) => (c, Some(r)),
            None => (t, None),
        };
        let revision = match rev {
            None => None,
            Some(r) => Some(r.strip_prefix('r').unwrap_or(r).parse().ok()?),
        };
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        if parts.next().is_some() || (patch.is_none() && revision.is_some()) {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            revision,
        })
    }

    /// `(major, minor)`, the unit upgrade paths step in.
    pub fn minor_key(&self) -> (u32, u32) {
        (self.major, self.minor)
    }

    /// `v1.28`.
    pub fn minor_string(&self) -> String {
        format!("v{}.{}", self.major, self.minor)
    }

    /// Orders by major.minor, then patch and revision where both sides give them (a side that
    /// leaves them out compares equal on them).
    pub fn loose_cmp(&self, other: &Version) -> Ordering {
        self.minor_key()
            .cmp(&other.minor_key())
            .then_with(|| match (self.patch, other.patch) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => Ordering::Equal,
            })
            .then_with(|| match (self.revision, other.revision) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => Ordering::Equal,
            })
    }

    /// Whether a version written in config (`self`) names the version the cloud reports: a config
    /// that gives major.minor matches any patch of it; one that gives a patch must match it (and
    /// its revision, if it gives one).
    pub fn matches_desired(desired: &Version, actual: &Version) -> bool {
        if desired.minor_key() != actual.minor_key() {
            return false;
        }
        let Some(patch) = desired.patch else {
            return true;
        };
        if actual.patch != Some(patch) {
            return false;
        }
        match desired.revision {
            None => true,
            Some(r) => actual.revision.unwrap_or(0) == r,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)?;
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        if let Some(r) = self.revision {
            write!(f, "-r{r}")?;
        }
        Ok(())
    }
}

/// The major.minor (`v1.28`) of a version text, or the text itself when it does not parse.
pub fn minor_of(text: &str) -> String {
    Version::parse(text)
        .map(|v| v.minor_string())
        .unwrap_or_else(|| text.to_string())
}

/// Whether the config's version text and the cloud's mean the same version (see
/// [`Version::matches_desired`]); unparsable texts compare exactly.
pub fn same_version(desired: &str, actual: &str) -> bool {
    match (Version::parse(desired), Version::parse(actual)) {
        (Some(d), Some(a)) => Version::matches_desired(&d, &a),
        _ => desired == actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let v = Version::parse("v1.28.3-r0").unwrap();
        assert_eq!(
            (v.major, v.minor, v.patch, v.revision),
            (1, 28, Some(3), Some(0))
        );
        assert_eq!(Version::parse("v1.28").unwrap().patch, None);
        assert_eq!(Version::parse("1.19.16-r20").unwrap().revision, Some(20));
        assert_eq!(
            Version::parse("v1.28.3-r0").unwrap().to_string(),
            "v1.28.3-r0"
        );
        for bad in ["", "v1", "vx.28", "v1.28-r0", "v1.28.3.4", "v1.28.3-rx"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn config_minor_matches_any_patch() {
        assert!(same_version("v1.28", "v1.28.3-r0"));
        assert!(same_version("v1.28", "v1.28"));
        assert!(!same_version("v1.28", "v1.29.1-r0"));
        assert!(same_version("v1.28.3", "v1.28.3-r2"));
        assert!(same_version("v1.28.3-r0", "v1.28.3-r0"));
        assert!(!same_version("v1.28.3-r1", "v1.28.3-r0"));
        assert!(!same_version("v1.28.1-r0", "v1.28.3-r0"));
        assert!(same_version("latest", "latest"));
        assert!(!same_version("latest", "v1.28"));
    }

    #[test]
    fn loose_order_ignores_missing_parts() {
        let p = |s| Version::parse(s).unwrap();
        assert_eq!(p("v1.28").loose_cmp(&p("v1.28.3-r0")), Ordering::Equal);
        assert_eq!(p("v1.27.9").loose_cmp(&p("v1.28")), Ordering::Less);
        assert_eq!(
            p("v1.28.3-r1").loose_cmp(&p("v1.28.3-r0")),
            Ordering::Greater
        );
        assert_eq!(minor_of("v1.19.16-r20"), "v1.19");
        assert_eq!(minor_of("odd"), "odd");
    }
}
