//! Error bodies in the combined shape of digest §1.5 with the §7.2 code table.

use serde_json::{json, Value};

/// Which code family a path belongs to: `CCE.01` clusters, `CCE.02` charts/releases,
/// `CCE.03` add-ons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Clusters, jobs, upgrades, quotas, tags.
    Cluster,
    /// Charts and releases.
    Chart,
    /// Add-ons and add-on templates.
    Addon,
}

impl Family {
    /// The family of a request path.
    pub fn of_path(path: &str) -> Family {
        if path.starts_with("/autopilot/v3/addon") {
            Family::Addon
        } else if path.starts_with("/autopilot/v2/charts") || path.starts_with("/autopilot/cam/") {
            Family::Chart
        } else {
            Family::Cluster
        }
    }

    fn digits(self) -> &'static str {
        match self {
            Family::Cluster => "01",
            Family::Chart => "02",
            Family::Addon => "03",
        }
    }
}

/// An API error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `CCE.*` code.
    pub code: String,
    /// The §7.2 message for the code.
    pub message: String,
    /// Human detail, sent as `message`.
    pub detail: String,
    /// Seconds for `Retry-After` (429/503 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: u16, code: String, message: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 400 `CCE.0x400001` "Invalid request."
    pub fn bad_request(f: Family, detail: impl Into<String>) -> Self {
        Self::new(
            400,
            format!("CCE.{}400001", f.digits()),
            "Invalid request.",
            detail,
        )
    }

    /// 400 with an explicit code and message from the §7.2 table.
    pub fn bad_request_code(code: &str, message: &str, detail: impl Into<String>) -> Self {
        Self::new(400, code.into(), message, detail)
    }

    /// 401 `CCE.0x401001` "Authorization failed."
    pub fn unauthorized(f: Family, detail: impl Into<String>) -> Self {
        Self::new(
            401,
            format!("CCE.{}401001", f.digits()),
            "Authorization failed.",
            detail,
        )
    }

    /// 404 `CCE.0x404001` "Resource not found."
    pub fn not_found(f: Family, detail: impl Into<String>) -> Self {
        Self::new(
            404,
            format!("CCE.{}404001", f.digits()),
            "Resource not found.",
            detail,
        )
    }

    /// 405 for a known path with an unsupported method.
    pub fn method_not_allowed(f: Family, detail: impl Into<String>) -> Self {
        Self::new(
            405,
            format!("CCE.{}400001", f.digits()),
            "Invalid request.",
            detail,
        )
    }

    /// 409 "The resource already exists." (`CCE.01409001` / `CCE.02409001`).
    pub fn exists(f: Family, detail: impl Into<String>) -> Self {
        let code = if f == Family::Chart {
            "CCE.02409001"
        } else {
            "CCE.01409001"
        };
        Self::new(409, code.into(), "The resource already exists.", detail)
    }

    /// 409 `CCE.03409001` "Addon instance has installed."
    pub fn addon_installed(detail: impl Into<String>) -> Self {
        Self::new(
            409,
            "CCE.03409001".into(),
            "Addon instance has installed.",
            detail,
        )
    }

    /// 429 `CCE.01429002` "Resource locked by other requests."
    pub fn locked(detail: impl Into<String>) -> Self {
        Self::new(
            429,
            "CCE.01429002".into(),
            "Resource locked by other requests.",
            detail,
        )
    }

    /// 429 `CCE.02429001` throttled, with `Retry-After`.
    pub fn throttled(retry_after: u64) -> Self {
        let mut e = Self::new(
            429,
            "CCE.02429001".into(),
            "The throttling threshold has been reached.",
            "rate limit exceeded",
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// 500 `CCE.0x500001` "Internal error." (status may be 503 for injected faults).
    pub fn internal(f: Family, status: u16, detail: impl Into<String>) -> Self {
        Self::new(
            status,
            format!("CCE.{}500001", f.digits()),
            "Internal error.",
            detail,
        )
    }

    fn reason(&self) -> &'static str {
        match self.status {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            422 => "UnprocessableEntity",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "ServerTimeout",
            _ => "InternalServerError",
        }
    }

    /// The JSON body: Kubernetes `Status` plus both code/message spellings.
    pub fn body(&self) -> Value {
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "code": self.status,
            "errorCode": self.code,
            "errorMessage": self.message,
            "error_code": self.code,
            "error_msg": self.message,
            "message": self.detail,
            "reason": self.reason(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_by_path() {
        assert_eq!(Family::of_path("/autopilot/v3/addons/x"), Family::Addon);
        assert_eq!(
            Family::of_path("/autopilot/v3/addontemplates"),
            Family::Addon
        );
        assert_eq!(Family::of_path("/autopilot/v2/charts"), Family::Chart);
        assert_eq!(
            Family::of_path("/autopilot/cam/v3/clusters/c/releases"),
            Family::Chart
        );
        assert_eq!(
            Family::of_path("/autopilot/v3/projects/p/clusters"),
            Family::Cluster
        );
    }

    #[test]
    fn body_has_both_spellings() {
        let b = ApiError::unauthorized(Family::Cluster, "bad signature").body();
        assert_eq!(b["error_code"], "CCE.01401001");
        assert_eq!(b["errorCode"], "CCE.01401001");
        assert_eq!(b["error_msg"], "Authorization failed.");
        assert_eq!(b["reason"], "Unauthorized");
        assert_eq!(b["code"], 401);
    }
}
