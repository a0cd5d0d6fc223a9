//! Errors of the CCE client: decoded API errors with their retry class, and client-side failures.
//!
//! CCE answers errors in several shapes (`error_code`/`error_msg`, `errorCode`/`errorMessage`,
//! `code`/`message`, a Kubernetes `Status` carrying all of them, or one of them nested one level
//! down). [`ApiError`] normalises them. The client never retries; [`ClientError::is_retryable`]
//! and [`ApiError::class`] tell the executor, which owns the retry policy, what kind of failure
//! it is.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::{Map, Value};

use crate::codes::{self, KnownCode};

/// How much of a body is kept in error messages.
const SNIPPET_CHARS: usize = 512;

/// An error answer from the CCE API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Error code, e.g. `CCE.01404001`, when the body carried one.
    pub code: Option<String>,
    /// Error message from the body (or the body itself when it was not JSON).
    pub message: Option<String>,
    /// The Kubernetes-style `message`, when it adds to `message`.
    pub detail: Option<String>,
    /// The `X-Request-Id` response header.
    pub request_id: Option<String>,
    /// The `Retry-After` response header, as a delay.
    pub retry_after: Option<Duration>,
}

/// What kind of failure an [`ApiError`] is, for the retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `429 CCE.01429002`: another operation holds the resource; retry with a long backoff.
    Locked,
    /// Any other `429`: rate limited; retry with backoff.
    Throttled,
    /// `5xx`: retry with backoff.
    ServerError,
    /// `404`: the resource does not exist (on refresh: it is gone).
    NotFound,
    /// `409`: a conflict, with the documented reason when known.
    Conflict(ConflictKind),
    /// `401`: the credentials were rejected.
    Unauthorized,
    /// Any other `4xx` (and anything unexpected): retrying will not help.
    Permanent,
}

/// The documented reasons for a `409`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// `CCE.01409001` / `CCE.02409001`: a resource with that name already exists.
    AlreadyExists,
    /// `CCE.03409001`: the add-on is already installed in the cluster.
    AddonExists,
    /// `CCE.01409002`: the update was based on an out-of-date version.
    StaleVersion,
    /// A `409` without a documented code.
    Other,
}

impl ErrorClass {
    /// True for the classes a caller may retry.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Locked | ErrorClass::Throttled | ErrorClass::ServerError
        )
    }
}

impl ApiError {
    /// Builds the error from a non-2xx response. `now` turns an HTTP-date `Retry-After` into a delay.
    pub fn from_response(
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> ApiError {
        let (code, message, detail) = parse_error_body(body);
        let request_id = header_str(headers, "x-request-id").map(str::to_owned);
        let retry_after =
            header_str(headers, "retry-after").and_then(|v| parse_retry_after(v, now));
        ApiError {
            status,
            code,
            message,
            detail,
            request_id,
            retry_after,
        }
    }

    /// The retry class of this error.
    pub fn class(&self) -> ErrorClass {
        let code = self.code.as_deref().unwrap_or("");
        match self.status {
            429 if code == codes::LOCKED => ErrorClass::Locked,
            429 => ErrorClass::Throttled,
            500..=599 => ErrorClass::ServerError,
            404 => ErrorClass::NotFound,
            401 => ErrorClass::Unauthorized,
            409 => ErrorClass::Conflict(match code {
                codes::CLUSTER_EXISTS | "CCE.02409001" => ConflictKind::AlreadyExists,
                codes::ADDON_EXISTS => ConflictKind::AddonExists,
                codes::STALE_VERSION => ConflictKind::StaleVersion,
                _ => ConflictKind::Other,
            }),
            _ => ErrorClass::Permanent,
        }
    }

    /// True for `429` and `5xx`.
    pub fn is_retryable(&self) -> bool {
        self.class().is_retryable()
    }

    /// True for `404`.
    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::NotFound
    }

    /// The documented meaning of [`ApiError::code`], when it is in the appendix.
    pub fn known_code(&self) -> Option<&'static KnownCode> {
        self.code.as_deref().and_then(codes::lookup)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cce api returned http {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if let Some(known) = self.known_code() {
            write!(f, "\nhint: {}", known.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Everything a client call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request could not be sent or the response could not be read.
    #[error("failed to call {method} {path}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx response body did not have the expected shape.
    #[error("failed to decode the response of {method} {path} (http {status}): {snippet}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status.
        status: u16,
        /// The start of the body.
        snippet: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The caller passed something that cannot form a valid request.
    #[error("invalid input: {message}")]
    InvalidInput {
        /// What is wrong.
        message: String,
    },
}

impl ClientError {
    /// True for retryable API errors and for connection failures and timeouts.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Api(api) => api.is_retryable(),
            ClientError::Transport { source, .. } => source.is_timeout() || source.is_connect(),
            ClientError::Decode { .. } | ClientError::InvalidInput { .. } => false,
        }
    }

    /// The API error, when this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(api) => Some(api),
            _ => None,
        }
    }

    /// True when the API answered `404`.
    pub fn is_not_found(&self) -> bool {
        self.api().is_some_and(ApiError::is_not_found)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> ClientError {
        ClientError::InvalidInput {
            message: message.into(),
        }
    }
}

/// The first [`SNIPPET_CHARS`] characters of a body, lossily decoded.
pub(crate) fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(SNIPPET_CHARS)
        .collect()
}

/// `(code, message, detail)` from any documented error shape.
fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    let obj = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(obj)) => obj,
        _ => {
            let text = snippet(body).trim().to_owned();
            return (None, (!text.is_empty()).then_some(text), None);
        }
    };
    let (mut code, mut message) = pick(&obj);
    if code.is_none() && message.is_none() {
        // Some gateways wrap the pair one level down, e.g. {"error": {"code": .., "message": ..}}.
        if let Some((c, m)) = obj
            .values()
            .filter_map(Value::as_object)
            .map(pick)
            .find(|(c, m)| c.is_some() || m.is_some())
        {
            code = c;
            message = m;
        }
    }
    let detail = text_of(obj.get("message")).filter(|d| Some(d) != message.as_ref());
    (code, message, detail)
}

/// The code and message of one object, trying the documented key pairs in order.
fn pick(obj: &Map<String, Value>) -> (Option<String>, Option<String>) {
    let first = |keys: &[&str]| keys.iter().find_map(|k| text_of(obj.get(*k)));
    (
        first(&["error_code", "errorCode", "code"]),
        first(&["error_msg", "errorMessage", "message"]),
    )
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Retry-After` is either delay seconds or an HTTP-date (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).unwrap()
    }

    fn err(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, &HeaderMap::new(), body.as_bytes(), now())
    }

    #[test]
    fn generic_shape() {
        let e = err(
            400,
            r#"{"error_msg": "The format of message is error", "error_code": "AS.0001"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("AS.0001"));
        assert_eq!(e.message.as_deref(), Some("The format of message is error"));
        assert_eq!(e.detail, None);
    }

    #[test]
    fn cce_shape() {
        let e = err(
            400,
            r#"{"errorMessage": "The format of message is error", "errorCode": "CCE.01400001"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("CCE.01400001"));
        assert_eq!(e.known_code().map(|k| k.status), Some(400));
        assert_eq!(e.class(), ErrorClass::Permanent);
    }

    #[test]
    fn combined_kubernetes_status_shape_keeps_message_as_detail() {
        let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","code":400,
            "errorCode":"CCE.01400001","errorMessage":"Invalid request.",
            "error_code":"CCE_CM.0004","error_msg":"Request is invalid",
            "message":"Eni subnetId and subnetCidr not matched","reason":"BadRequest"}"#;
        let e = err(400, body);
        assert_eq!(e.code.as_deref(), Some("CCE_CM.0004"));
        assert_eq!(e.message.as_deref(), Some("Request is invalid"));
        assert_eq!(
            e.detail.as_deref(),
            Some("Eni subnetId and subnetCidr not matched")
        );
    }

    #[test]
    fn code_message_and_nested_shapes() {
        let e = err(
            403,
            r#"{"code": "APIGW.0301", "message": "Incorrect IAM authentication information"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("APIGW.0301"));
        assert_eq!(e.detail, None, "the message is not repeated as detail");
        let e = err(
            500,
            r#"{"error": {"code": "CCE.01500001", "message": "Internal error."}}"#,
        );
        assert_eq!(e.code.as_deref(), Some("CCE.01500001"));
        assert_eq!(e.message.as_deref(), Some("Internal error."));
        assert!(e.is_retryable());
    }

    #[test]
    fn non_json_body_becomes_the_message() {
        let e = err(502, "<html>Bad Gateway</html>");
        assert_eq!(e.code, None);
        assert_eq!(e.message.as_deref(), Some("<html>Bad Gateway</html>"));
        assert_eq!(err(503, "").message, None);
    }

    #[test]
    fn classification() {
        let class = |status, code: &str| {
            let body = format!(r#"{{"errorCode":"{code}","errorMessage":"m"}}"#);
            err(status, &body).class()
        };
        assert_eq!(class(429, "CCE.01429002"), ErrorClass::Locked);
        assert_eq!(class(429, "CCE.02429001"), ErrorClass::Throttled);
        assert_eq!(class(503, ""), ErrorClass::ServerError);
        assert_eq!(class(404, "CCE.01404001"), ErrorClass::NotFound);
        assert_eq!(class(401, "CCE.01401001"), ErrorClass::Unauthorized);
        assert_eq!(
            class(409, "CCE.03409001"),
            ErrorClass::Conflict(ConflictKind::AddonExists)
        );
        assert_eq!(
            class(409, "CCE.01409001"),
            ErrorClass::Conflict(ConflictKind::AlreadyExists)
        );
        assert_eq!(
            class(409, "CCE.01409002"),
            ErrorClass::Conflict(ConflictKind::StaleVersion)
        );
        assert_eq!(class(409, "X"), ErrorClass::Conflict(ConflictKind::Other));
        assert_eq!(class(400, "CCE.01400007"), ErrorClass::Permanent);
        for retryable in [
            ErrorClass::Locked,
            ErrorClass::Throttled,
            ErrorClass::ServerError,
        ] {
            assert!(retryable.is_retryable());
        }
        assert!(!ErrorClass::NotFound.is_retryable());
        assert!(!ErrorClass::Conflict(ConflictKind::Other).is_retryable());
    }

    #[test]
    fn request_id_and_retry_after_come_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("X-Request-Id", HeaderValue::from_static("req-123"));
        headers.insert("Retry-After", HeaderValue::from_static("7"));
        let e = ApiError::from_response(429, &headers, b"{}", now());
        assert_eq!(e.request_id.as_deref(), Some("req-123"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        headers.insert(
            "Retry-After",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        let e = ApiError::from_response(429, &headers, b"{}", now());
        assert_eq!(e.retry_after, Some(Duration::from_secs(60)));
        headers.insert("Retry-After", HeaderValue::from_static("soon"));
        assert_eq!(
            ApiError::from_response(429, &headers, b"", now()).retry_after,
            None
        );
    }

    #[test]
    fn display_is_a_lowercase_fragment_with_a_hint() {
        let mut e = err(
            404,
            r#"{"errorCode":"CCE.01404001","errorMessage":"Resource not found."}"#,
        );
        e.request_id = Some("r1".into());
        assert_eq!(
            e.to_string(),
            "cce api returned http 404 CCE.01404001: Resource not found. [request id r1]\n\
             hint: check whether the resource has been deleted"
        );
        let client = ClientError::Api(Box::new(e));
        assert!(client.is_not_found());
        assert!(!client.is_retryable());
    }
}
