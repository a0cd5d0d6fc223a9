//! `HuaweiClient`: endpoint, credentials and clock, plus signing, sending and decoding of calls.
//!
//! The per-family operations live in their own modules as `impl HuaweiClient` blocks; they build
//! an [`ApiRequest`] and hand it to one of the `call_*` helpers here. The client performs no
//! retries: the executor owns the retry policy and asks [`ClientError::is_retryable`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;
use serde::de::DeserializeOwned;

use crate::credentials::Credentials;
use crate::error::{snippet, ApiError, ClientError};
use crate::request::{ApiRequest, RequestBody};
use crate::signer::{self, SigningRequest};

/// Source of the current time, injectable so tests can pin `X-Sdk-Date`.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

const USER_AGENT: &str = concat!("clusterform-client-huawei/", env!("CARGO_PKG_VERSION"));
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A signed client of the CCE Autopilot API for one region and project.
#[derive(Clone)]
pub struct HuaweiClient {
    endpoint: Url,
    host: String,
    project_id: String,
    credentials: Credentials,
    clock: Clock,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Http(reqwest::Client),
    #[cfg(test)]
    Fake(Arc<crate::fake::FakeTransport>),
}

/// Builder of [`HuaweiClient`]; `region` (or `endpoint`), `project_id` and `credentials` are required.
#[derive(Default)]
pub struct HuaweiClientBuilder {
    region: Option<String>,
    project_id: Option<String>,
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    clock: Option<Clock>,
    timeout: Option<Duration>,
}

/// A response as received: status, headers and the whole body.
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HuaweiClient {
    /// Starts building a client.
    pub fn builder() -> HuaweiClientBuilder {
        HuaweiClientBuilder::default()
    }

    /// The project the client works in.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The endpoint, e.g. `https://cce.ap-southeast-3.myhuaweicloud.com/`.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Sends a call whose 2xx answer is JSON of type `T`.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        req: ApiRequest,
    ) -> Result<T, ClientError> {
        let (method, path) = (req.method.to_string(), req.path.clone());
        let raw = self.call(req).await?;
        serde_json::from_slice(&raw.body).map_err(|source| ClientError::Decode {
            method,
            path,
            status: raw.status,
            snippet: snippet(&raw.body),
            source,
        })
    }

    /// Sends a call whose 2xx answer is JSON of type `T` or an empty body.
    pub(crate) async fn call_opt_json<T: DeserializeOwned>(
        &self,
        req: ApiRequest,
    ) -> Result<Option<T>, ClientError> {
        let (method, path) = (req.method.to_string(), req.path.clone());
        let raw = self.call(req).await?;
        if raw.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&raw.body)
            .map(Some)
            .map_err(|source| ClientError::Decode {
                method,
                path,
                status: raw.status,
                snippet: snippet(&raw.body),
                source,
            })
    }

    /// Sends a call whose 2xx answer has no meaningful body (`204`, or an ignored body).
    pub(crate) async fn call_empty(&self, req: ApiRequest) -> Result<(), ClientError> {
        self.call(req).await.map(|_| ())
    }

    /// Sends a call whose 2xx answer is a short text such as `success`, sent bare or as a JSON string.
    pub(crate) async fn call_text(&self, req: ApiRequest) -> Result<String, ClientError> {
        let raw = self.call(req).await?;
        Ok(match serde_json::from_slice::<String>(&raw.body) {
            Ok(text) => text,
            Err(_) => String::from_utf8_lossy(&raw.body).into_owned(),
        })
    }

    /// Sends a call and returns the raw 2xx response; other statuses become [`ClientError::Api`].
    pub(crate) async fn call(&self, req: ApiRequest) -> Result<RawResponse, ClientError> {
        let now = (self.clock)();
        let prepared = self.prepare(&req, now)?;
        let raw = match &self.transport {
            Transport::Http(http) => {
                let transport = |source| ClientError::Transport {
                    method: req.method.to_string(),
                    path: req.path.clone(),
                    source,
                };
                let resp = http.execute(prepared).await.map_err(transport)?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let body = resp.bytes().await.map_err(transport)?.to_vec();
                RawResponse {
                    status,
                    headers,
                    body,
                }
            }
            #[cfg(test)]
            Transport::Fake(fake) => fake.handle(prepared),
        };
        if (200..300).contains(&raw.status) {
            Ok(raw)
        } else {
            Err(ClientError::Api(Box::new(ApiError::from_response(
                raw.status,
                &raw.headers,
                &raw.body,
                now,
            ))))
        }
    }

    /// Builds the signed HTTP request. Pure apart from building the reqwest value.
    fn prepare(
        &self,
        req: &ApiRequest,
        now: DateTime<Utc>,
    ) -> Result<reqwest::Request, ClientError> {
        let query = signer::canonical_query(&req.query);
        let mut url = self.endpoint.clone();
        url.set_path(&req.path);
        url.set_query((!query.is_empty()).then_some(query.as_str()));

        let (content_type, body): (String, &[u8]) = match &req.body {
            RequestBody::None => ("application/json".to_owned(), &[]),
            RequestBody::Json(bytes) => ("application/json".to_owned(), bytes),
            RequestBody::Multipart {
                content_type,
                bytes,
            } => (content_type.clone(), bytes),
        };
        let mut headers: Vec<(String, String)> = vec![
            ("Content-Type".to_owned(), content_type),
            ("Host".to_owned(), self.host.clone()),
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
            ("X-Project-Id".to_owned(), self.project_id.clone()),
        ];
        if matches!(req.body, RequestBody::Multipart { .. }) {
            headers.push((
                signer::HEADER_CONTENT_SHA256.to_owned(),
                signer::UNSIGNED_PAYLOAD.to_owned(),
            ));
        }
        match &self.credentials {
            Credentials::AkSk {
                ak,
                sk,
                security_token,
            } => {
                if let Some(token) = security_token {
                    headers.push(("X-Security-Token".to_owned(), token.clone()));
                }
                let signing = SigningRequest {
                    method: req.method.as_str(),
                    path: &req.path,
                    query: &req.query,
                    headers: &headers,
                    host: &self.host,
                    body,
                };
                let added = signer::sign(&signing, ak, sk, now)
                    .map_err(|e| ClientError::invalid(e.to_string()))?;
                headers.extend(added);
            }
            Credentials::Token(token) => headers.push(("X-Auth-Token".to_owned(), token.clone())),
        }

        let mut header_map = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ClientError::invalid(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| ClientError::invalid(format!("invalid value for header {name}")))?;
            header_map.insert(name, value);
        }
        let mut request = reqwest::Request::new(req.method.clone(), url);
        *request.headers_mut() = header_map;
        if !body.is_empty() {
            *request.body_mut() = Some(body.to_vec().into());
        }
        Ok(request)
    }

    /// A client that answers from `fake` instead of the network (unit tests only).
    #[cfg(test)]
    pub(crate) fn with_fake(self, fake: Arc<crate::fake::FakeTransport>) -> Self {
        HuaweiClient {
            transport: Transport::Fake(fake),
            ..self
        }
    }
}

impl HuaweiClientBuilder {
    /// Region id, e.g. `ap-southeast-3`; gives the endpoint `https://cce.{region}.myhuaweicloud.com`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Project id (32 hex characters), used in paths and sent as `X-Project-Id`.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// Overrides the endpoint, e.g. `http://127.0.0.1:8080` for the emulator. Only scheme, host and
    /// port are used, as in the official SDK.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Credentials to sign or authenticate requests with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Replaces the wall clock used for `X-Sdk-Date` and `Retry-After` dates.
    pub fn clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Total timeout of one request (default 120 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<HuaweiClient, ClientError> {
        let project_id = self
            .project_id
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ClientError::invalid("project id is required"))?;
        let credentials = self
            .credentials
            .ok_or_else(|| ClientError::invalid("credentials are required"))?;
        if credentials.is_incomplete() {
            return Err(ClientError::invalid("credentials must not be empty"));
        }
        let endpoint_text = match (self.endpoint, self.region) {
            (Some(endpoint), _) if endpoint.contains("://") => endpoint,
            // The SDK puts https:// in front of a bare host; do the same.
            (Some(endpoint), _) => format!("https://{endpoint}"),
            (None, Some(region)) if !region.is_empty() => {
                format!("https://cce.{region}.myhuaweicloud.com")
            }
            _ => return Err(ClientError::invalid("a region or an endpoint is required")),
        };
        let mut endpoint = Url::parse(&endpoint_text).map_err(|e| {
            ClientError::invalid(format!("invalid endpoint {endpoint_text:?}: {e}"))
        })?;
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(ClientError::invalid("the endpoint has no host")),
        };
        endpoint.set_path("/");
        endpoint.set_query(None);
        let http = reqwest::Client::builder()
            .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .build()
            .map_err(|e| ClientError::invalid(format!("failed to build the http client: {e}")))?;
        Ok(HuaweiClient {
            endpoint,
            host,
            project_id,
            credentials,
            clock: self.clock.unwrap_or_else(|| Arc::new(Utc::now)),
            transport: Transport::Http(http),
        })
    }
}

impl std::fmt::Debug for HuaweiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HuaweiClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("project_id", &self.project_id)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HuaweiClientBuilder {
        HuaweiClient::builder()
            .project_id("p1")
            .credentials(Credentials::ak_sk("AK", "SK"))
    }

    #[test]
    fn region_gives_the_public_endpoint() {
        let c = base().region("ap-southeast-3").build().unwrap();
        assert_eq!(
            c.endpoint().as_str(),
            "https://cce.ap-southeast-3.myhuaweicloud.com/"
        );
        assert_eq!(c.host, "cce.ap-southeast-3.myhuaweicloud.com");
    }

    #[test]
    fn endpoint_override_wins_and_keeps_only_scheme_host_port() {
        let c = base()
            .region("ap-southeast-3")
            .endpoint("http://127.0.0.1:8080/ignored/prefix?x=1")
            .build()
            .unwrap();
        assert_eq!(c.endpoint().as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.host, "127.0.0.1:8080");
        let bare = base().endpoint("cce.example.com").build().unwrap();
        assert_eq!(bare.endpoint().as_str(), "https://cce.example.com/");
    }

    #[test]
    fn missing_settings_are_invalid_input() {
        let cases = [
            HuaweiClient::builder()
                .region("r")
                .credentials(Credentials::token("t")),
            HuaweiClient::builder().region("r").project_id("p"),
            base(),
            base().region("r").credentials(Credentials::ak_sk("AK", "")),
        ];
        for builder in cases {
            assert!(matches!(
                builder.build(),
                Err(ClientError::InvalidInput { .. })
            ));
        }
    }

    #[tokio::test]
    async fn token_credentials_send_x_auth_token_and_no_signature() {
        let fake = Arc::new(crate::fake::FakeTransport::default());
        let c = HuaweiClient::builder()
            .region("r")
            .project_id("p1")
            .credentials(Credentials::token("iam-token"))
            .build()
            .unwrap()
            .with_fake(fake.clone());
        fake.reply(200, r#"{"quotas":[]}"#);
        c.show_autopilot_quotas().await.unwrap();
        let sent = fake.last();
        assert_eq!(sent.header("x-auth-token"), Some("iam-token"));
        assert_eq!(sent.header("authorization"), None);
        assert_eq!(sent.header("x-sdk-date"), None);
        assert_eq!(sent.header("x-project-id"), Some("p1"));
    }

    #[tokio::test]
    async fn sts_token_is_sent_and_signed() {
        let fake = Arc::new(crate::fake::FakeTransport::default());
        let c = base()
            .region("r")
            .credentials(Credentials::temporary("AK", "SK", "sts"))
            .clock(crate::fake::fixed_now)
            .build()
            .unwrap()
            .with_fake(fake.clone());
        c.show_autopilot_quotas().await.unwrap();
        let sent = fake.last();
        assert_eq!(sent.header("x-security-token"), Some("sts"));
        assert!(sent
            .header("authorization")
            .unwrap()
            .contains("x-project-id;x-sdk-date;x-security-token,"));
    }

    #[tokio::test]
    async fn error_statuses_become_classified_api_errors() {
        let (c, fake) = crate::fake::client();
        fake.reply_with_headers(
            429,
            &[("X-Request-Id", "rid-1"), ("Retry-After", "30")],
            r#"{"errorCode":"CCE.01429002","errorMessage":"Resource locked by other requests."}"#,
        );
        let err = c.show_autopilot_quotas().await.unwrap_err();
        assert!(err.is_retryable());
        let api = err.api().unwrap();
        assert_eq!(api.class(), crate::ErrorClass::Locked);
        assert_eq!(api.retry_after, Some(Duration::from_secs(30)));
        assert_eq!(api.request_id.as_deref(), Some("rid-1"));

        fake.reply(200, "not json");
        let err = c.show_autopilot_quotas().await.unwrap_err();
        match err {
            ClientError::Decode {
                status, snippet, ..
            } => assert_eq!((status, snippet.as_str()), (200, "not json")),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn debug_redacts_the_secret_key() {
        let c = base().region("r").build().unwrap();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("<redacted>") && !shown.contains("\"SK\""),
            "{shown}"
        );
    }
}
