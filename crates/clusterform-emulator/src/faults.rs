//! Fault injection shared by every cloud: rate limits, random 5xx and latency (globally or
//! per route), and named operations that fail, all deterministic for a given `--seed` and
//! request sequence.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// A token-bucket rate limit on one route pattern.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RateLimit {
    /// `"METHOD /path/with/*/segments"`; `*` matches one segment, a trailing `**` the rest.
    /// The method may be `*`.
    pub route: String,
    /// Sustained requests per second.
    pub per_second: f64,
    /// Bucket size.
    #[serde(default = "one")]
    pub burst: f64,
}

fn one() -> f64 {
    1.0
}

/// Error rate and latency for the requests of one route; fields left out fall back to the
/// global ones. The first matching `[[route]]` in file order applies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteFault {
    /// `"METHOD /path/with/*/segments"`, as for rate limits.
    pub route: String,
    /// Fraction of this route's requests answered with a 5xx.
    #[serde(default)]
    pub error_rate: Option<f64>,
    /// Statuses to draw from for this route's injected errors.
    #[serde(default)]
    pub error_statuses: Option<Vec<u16>>,
    /// Added latency range for this route, `[min, max]` milliseconds.
    #[serde(default)]
    pub latency_ms: Option<[u64; 2]>,
}

/// A named operation that fails `count` times.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailRule {
    /// Operation: `create`, `delete`, `precheck`, `snapshot`, `upgrade`, `postcheck`,
    /// `addon_install`, `addon_upgrade`, `release_install` (cloud-defined names).
    pub op: String,
    /// Cluster name it applies to; absent = any.
    #[serde(default)]
    pub cluster: Option<String>,
    /// How many times.
    #[serde(default = "one_u32")]
    pub count: u32,
}

fn one_u32() -> u32 {
    1
}

/// The fault file (`--faults FILE`, TOML).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Rate limits.
    #[serde(default)]
    pub rate_limit: Vec<RateLimit>,
    /// Fraction of requests answered with a 5xx.
    #[serde(default)]
    pub error_rate: f64,
    /// Statuses to draw from for injected errors (default 500 and 503); a 429 is answered as a
    /// rate limit.
    #[serde(default)]
    pub error_statuses: Vec<u16>,
    /// Added latency range in milliseconds, `[min, max]`.
    #[serde(default)]
    pub latency_ms: Option<[u64; 2]>,
    /// Operations that fail.
    #[serde(default)]
    pub fail: Vec<FailRule>,
    /// Per-route error rates and latencies.
    #[serde(default)]
    pub route: Vec<RouteFault>,
}

/// Errors reading a fault configuration.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// Neither valid TOML nor JSON.
    #[error("invalid fault configuration: {0}")]
    Parse(String),
    /// Out-of-range values.
    #[error("invalid fault configuration: {0}")]
    Invalid(String),
}

impl FaultConfig {
    /// Parses TOML (or JSON, for the admin endpoint).
    pub fn parse(text: &str) -> Result<Self, FaultError> {
        let cfg: FaultConfig = match toml::from_str(text) {
            Ok(c) => c,
            Err(toml_err) => {
                serde_json::from_str(text).map_err(|_| FaultError::Parse(toml_err.to_string()))?
            }
        };
        if !(0.0..=1.0).contains(&cfg.error_rate) {
            return Err(FaultError::Invalid(
                "error_rate must be within 0..=1".into(),
            ));
        }
        // 429 is allowed too: it is answered as a rate limit, with `Retry-After`.
        let statuses_ok = |v: &[u16]| v.iter().all(|s| *s == 429 || (500..=599).contains(s));
        if !statuses_ok(&cfg.error_statuses) {
            return Err(FaultError::Invalid(
                "error_statuses must be 5xx or 429".into(),
            ));
        }
        for r in &cfg.route {
            if r.route.trim().is_empty() {
                return Err(FaultError::Invalid("[[route]] needs a route".into()));
            }
            if r.error_rate.is_some_and(|e| !(0.0..=1.0).contains(&e)) {
                return Err(FaultError::Invalid(format!(
                    "route {:?}: error_rate must be within 0..=1",
                    r.route
                )));
            }
            if r.latency_ms.is_some_and(|[a, b]| a > b) {
                return Err(FaultError::Invalid(format!(
                    "route {:?}: latency_ms must be [min, max]",
                    r.route
                )));
            }
            if r.error_statuses.as_deref().is_some_and(|v| !statuses_ok(v)) {
                return Err(FaultError::Invalid(format!(
                    "route {:?}: error_statuses must be 5xx or 429",
                    r.route
                )));
            }
        }
        if cfg.rate_limit.iter().any(|r| {
            r.per_second.is_nan() || r.per_second <= 0.0 || r.burst.is_nan() || r.burst < 1.0
        }) {
            return Err(FaultError::Invalid(
                "rate_limit needs per_second > 0, burst >= 1".into(),
            ));
        }
        if cfg.latency_ms.is_some_and(|[a, b]| a > b) {
            return Err(FaultError::Invalid("latency_ms must be [min, max]".into()));
        }
        Ok(cfg)
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injected {
    /// Answer 429 with `Retry-After` seconds.
    RateLimited {
        /// Seconds.
        retry_after: u64,
    },
    /// Answer this 5xx status.
    ServerError(u16),
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: Option<DateTime<Utc>>,
}

/// Live fault state: config, seeded RNG, buckets and remaining failure counts.
#[derive(Debug)]
pub struct FaultState {
    config: FaultConfig,
    rng: StdRng,
    buckets: Vec<Bucket>,
    fail_left: Vec<u32>,
}

impl FaultState {
    /// A fault state for `config` with RNG `seed`.
    pub fn new(config: FaultConfig, seed: u64) -> Self {
        let buckets = config
            .rate_limit
            .iter()
            .map(|r| Bucket {
                tokens: r.burst,
                last: None,
            })
            .collect();
        let fail_left = config.fail.iter().map(|f| f.count).collect();
        Self {
            config,
            rng: StdRng::seed_from_u64(seed),
            buckets,
            fail_left,
        }
    }

    /// Replaces the configuration (buckets and counts restart; the RNG continues).
    pub fn replace(&mut self, config: FaultConfig) {
        self.buckets = config
            .rate_limit
            .iter()
            .map(|r| Bucket {
                tokens: r.burst,
                last: None,
            })
            .collect();
        self.fail_left = config.fail.iter().map(|f| f.count).collect();
        self.config = config;
    }

    /// The active configuration.
    pub fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// The `[[route]]` rule for a request, if one matches.
    fn route_rule(&self, method: &str, path: &str) -> Option<&RouteFault> {
        self.config
            .route
            .iter()
            .find(|r| route_matches(&r.route, method, path))
    }

    /// Added latency for the next request, if configured (global setting only).
    pub fn latency(&mut self) -> Option<std::time::Duration> {
        let range = self.config.latency_ms;
        self.draw_latency(range)
    }

    /// Added latency for a request: its `[[route]]` setting, else the global one.
    pub fn latency_for(&mut self, method: &str, path: &str) -> Option<std::time::Duration> {
        let range = self
            .route_rule(method, path)
            .and_then(|r| r.latency_ms)
            .or(self.config.latency_ms);
        self.draw_latency(range)
    }

    fn draw_latency(&mut self, range: Option<[u64; 2]>) -> Option<std::time::Duration> {
        let [lo, hi] = range?;
        let ms = if hi > lo {
            self.rng.gen_range(lo..=hi)
        } else {
            lo
        };
        Some(std::time::Duration::from_millis(ms))
    }

    /// Rate limits then random errors for a request (a matching `[[route]]` sets the error
    /// rate and statuses).
    pub fn check(&mut self, method: &str, path: &str, now: DateTime<Utc>) -> Option<Injected> {
        for (rule, bucket) in self.config.rate_limit.iter().zip(self.buckets.iter_mut()) {
            if !route_matches(&rule.route, method, path) {
                continue;
            }
            if let Some(last) = bucket.last {
                let secs = (now - last).num_milliseconds().max(0) as f64 / 1000.0;
                bucket.tokens = (bucket.tokens + secs * rule.per_second).min(rule.burst);
            }
            bucket.last = Some(now);
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
            } else {
                let wait = (1.0 - bucket.tokens) / rule.per_second;
                return Some(Injected::RateLimited {
                    retry_after: wait.ceil().max(1.0) as u64,
                });
            }
        }
        let rule = self.route_rule(method, path);
        let rate = rule
            .and_then(|r| r.error_rate)
            .unwrap_or(self.config.error_rate);
        let mut statuses: Vec<u16> = rule
            .and_then(|r| r.error_statuses.clone())
            .unwrap_or_else(|| self.config.error_statuses.clone());
        if statuses.is_empty() {
            statuses = vec![500, 503];
        }
        if rate > 0.0 && self.rng.gen_bool(rate) {
            let i = self.rng.gen_range(0..statuses.len());
            return Some(match statuses.get(i).copied().unwrap_or(500) {
                429 => Injected::RateLimited { retry_after: 1 },
                s => Injected::ServerError(s),
            });
        }
        None
    }

    /// Consumes one failure for `op` on cluster `cluster`, if a rule has any left.
    pub fn take_fail(&mut self, op: &str, cluster: &str) -> bool {
        for (rule, left) in self.config.fail.iter().zip(self.fail_left.iter_mut()) {
            if rule.op == op && *left > 0 && rule.cluster.as_deref().is_none_or(|c| c == cluster) {
                *left -= 1;
                return true;
            }
        }
        false
    }
}

/// Whether `"METHOD /a/*/b"` matches a request.
pub fn route_matches(pattern: &str, method: &str, path: &str) -> bool {
    let (pm, pp) = match pattern.split_once(' ') {
        Some((m, p)) => (m.trim(), p.trim()),
        None => ("*", pattern.trim()),
    };
    if pm != "*" && !pm.eq_ignore_ascii_case(method) {
        return false;
    }
    let pat: Vec<&str> = pp.trim_matches('/').split('/').collect();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, p) in pat.iter().enumerate() {
        if *p == "**" {
            return true;
        }
        match segs.get(i) {
            Some(s) if *p == "*" || p == s => {}
            _ => return false,
        }
    }
    pat.len() == segs.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const TOML: &str = r#"
error_rate = 0.2
latency_ms = [10, 200]

[[rate_limit]]
route = "GET /autopilot/v3/projects/*/clusters/*"
per_second = 5
burst = 10

[[fail]]
op = "upgrade"
cluster = "prod"
count = 1
"#;

    #[test]
    fn parses_the_documented_example() {
        let c = FaultConfig::parse(TOML).unwrap();
        assert_eq!(c.rate_limit.len(), 1);
        assert_eq!(c.latency_ms, Some([10, 200]));
        assert_eq!(c.fail[0].cluster.as_deref(), Some("prod"));
        assert!(FaultConfig::parse("error_rate = 2.0").is_err());
        assert!(FaultConfig::parse("bogus = 1").is_err());
    }

    #[test]
    fn route_patterns() {
        let p = "GET /autopilot/v3/projects/*/clusters/*";
        assert!(route_matches(
            p,
            "GET",
            "/autopilot/v3/projects/p1/clusters/c1"
        ));
        assert!(!route_matches(
            p,
            "PUT",
            "/autopilot/v3/projects/p1/clusters/c1"
        ));
        assert!(!route_matches(
            p,
            "GET",
            "/autopilot/v3/projects/p1/clusters"
        ));
        assert!(route_matches(
            "* /autopilot/**",
            "DELETE",
            "/autopilot/v2/charts/x"
        ));
    }

    #[test]
    fn rate_limit_allows_burst_then_refills() {
        let cfg =
            FaultConfig::parse("[[rate_limit]]\nroute = \"GET /x\"\nper_second = 5\nburst = 10\n")
                .unwrap();
        let mut f = FaultState::new(cfg, 1);
        let t0 = Utc::now();
        for _ in 0..10 {
            assert_eq!(f.check("GET", "/x", t0), None);
        }
        assert_eq!(
            f.check("GET", "/x", t0),
            Some(Injected::RateLimited { retry_after: 1 })
        );
        assert_eq!(f.check("GET", "/y", t0), None);
        assert_eq!(f.check("GET", "/x", t0 + Duration::milliseconds(200)), None);
    }

    #[test]
    fn same_seed_same_decisions() {
        let cfg = FaultConfig::parse("error_rate = 0.3\nlatency_ms = [1, 50]").unwrap();
        let run = |seed| {
            let mut f = FaultState::new(cfg.clone(), seed);
            let now = Utc::now();
            (0..200)
                .map(|_| (f.check("GET", "/a", now), f.latency()))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let errors = run(7).iter().filter(|(e, _)| e.is_some()).count();
        assert!(
            (30..=90).contains(&errors),
            "about 30% of 200, got {errors}"
        );
    }

    #[test]
    fn route_rules_override_the_global_rate_deterministically() {
        let cfg = FaultConfig::parse(
            r#"
error_rate = 0.0
latency_ms = [5, 5]

[[route]]
route = "POST /autopilot/v3/projects/*/clusters"
error_rate = 0.5
error_statuses = [502]
latency_ms = [40, 60]

[[route]]
route = "GET /autopilot/**"
latency_ms = [0, 0]
"#,
        )
        .unwrap();
        let create = "/autopilot/v3/projects/p1/clusters";
        let run = |seed| {
            let mut f = FaultState::new(cfg.clone(), seed);
            let now = Utc::now();
            (0..100)
                .map(|_| (f.check("POST", create, now), f.latency_for("POST", create)))
                .collect::<Vec<_>>()
        };
        let a = run(3);
        assert_eq!(a, run(3), "same seed, same decisions");
        assert_ne!(a, run(4));
        let errors: Vec<_> = a.iter().filter_map(|(e, _)| e.clone()).collect();
        assert!(
            (30..=70).contains(&errors.len()),
            "about half of 100, got {}",
            errors.len()
        );
        assert!(errors.iter().all(|e| *e == Injected::ServerError(502)));
        assert!(a
            .iter()
            .all(|(_, l)| { l.is_some_and(|d| (40..=60).contains(&d.as_millis())) }));
        let mut f = FaultState::new(cfg.clone(), 3);
        let now = Utc::now();
        for _ in 0..50 {
            assert_eq!(f.check("GET", create, now), None, "the global rate is 0");
            assert_eq!(
                f.check("DELETE", "/autopilot/v3/projects/p1/clusters/c", now),
                None
            );
        }
        assert_eq!(
            f.latency_for("GET", create),
            Some(std::time::Duration::ZERO)
        );
        assert_eq!(
            f.latency_for("PUT", "/autopilot/v3/addons/x"),
            Some(std::time::Duration::from_millis(5)),
            "no route rule: the global latency"
        );
    }

    #[test]
    fn a_drawn_429_is_a_rate_limit() {
        let cfg = FaultConfig::parse("error_rate = 1.0\nerror_statuses = [429, 503]").unwrap();
        let mut f = FaultState::new(cfg, 5);
        let now = Utc::now();
        let got: Vec<_> = (0..40).filter_map(|_| f.check("GET", "/a", now)).collect();
        assert_eq!(got.len(), 40);
        assert!(got.contains(&Injected::RateLimited { retry_after: 1 }));
        assert!(got.contains(&Injected::ServerError(503)));
        assert!(FaultConfig::parse("error_statuses = [404]").is_err());
    }

    #[test]
    fn route_rules_are_validated() {
        assert!(FaultConfig::parse("[[route]]\nroute = \"GET /x\"\nerror_rate = 1.5\n").is_err());
        assert!(
            FaultConfig::parse("[[route]]\nroute = \"GET /x\"\nlatency_ms = [9, 1]\n").is_err()
        );
        assert!(
            FaultConfig::parse("[[route]]\nroute = \"GET /x\"\nerror_statuses = [404]\n").is_err()
        );
        assert!(FaultConfig::parse("[[route]]\nroute = \"GET /x\"\nbogus = 1\n").is_err());
        assert!(FaultConfig::parse("[[route]]\nerror_rate = 0.1\n").is_err());
    }

    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../README.md");
        let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
        let len = readme[start..].find("```").unwrap();
        let c = FaultConfig::parse(&readme[start..start + len]).unwrap();
        assert_eq!((c.route.len(), c.rate_limit.len(), c.fail.len()), (2, 1, 1));
        assert_eq!(c.route[0].error_rate, Some(0.5));
        assert_eq!(c.route[1].latency_ms, Some([0, 0]));
    }

    #[test]
    fn named_failures_are_consumed() {
        let mut f = FaultState::new(FaultConfig::parse(TOML).unwrap(), 0);
        assert!(!f.take_fail("upgrade", "staging"));
        assert!(f.take_fail("upgrade", "prod"));
        assert!(!f.take_fail("upgrade", "prod"));
    }
}
