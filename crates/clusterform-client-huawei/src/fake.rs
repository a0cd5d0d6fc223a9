//! Test-only transport: records each prepared request and answers from a queue of canned replies.
//!
//! It lets unit tests drive the real public operations end to end (path, query, headers, body,
//! signature, status handling and decoding) without a socket.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::client::{HuaweiClient, RawResponse};
use crate::credentials::Credentials;

/// A request as the client would have sent it.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string as sent, empty when none.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// A canned reply: status, headers, body.
type Reply = (u16, Vec<(String, String)>, Vec<u8>);

#[derive(Default)]
pub(crate) struct FakeTransport {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Captured>>,
}

impl FakeTransport {
    /// Queues a reply with a status and a body.
    pub fn reply(&self, status: u16, body: &str) {
        self.reply_with_headers(status, &[], body);
    }

    /// Queues a reply with a raw (possibly binary) body.
    pub fn reply_bytes(&self, status: u16, body: &[u8]) {
        self.replies
            .lock()
            .unwrap()
            .push_back((status, Vec::new(), body.to_vec()));
    }

    pub fn reply_with_headers(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        let headers = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.replies
            .lock()
            .unwrap()
            .push_back((status, headers, body.as_bytes().to_vec()));
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Captured> {
        self.seen.lock().unwrap().clone()
    }

    /// The only request seen; panics otherwise.
    pub fn last(&self) -> Captured {
        self.seen().last().cloned().expect("a request was sent")
    }

    pub(crate) fn handle(&self, req: reqwest::Request) -> RawResponse {
        let body = req
            .body()
            .and_then(|b| b.as_bytes())
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        self.seen.lock().unwrap().push(Captured {
            method: req.method().to_string(),
            path: req.url().path().to_owned(),
            query: req.url().query().unwrap_or("").to_owned(),
            headers: req.headers().clone(),
            body,
        });
        let (status, headers, body) =
            self.replies
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or((200, Vec::new(), b"{}".to_vec()));
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(&v).unwrap(),
            );
        }
        RawResponse {
            status,
            headers: map,
            body,
        }
    }
}

pub(crate) const PROJECT: &str = "0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d";

pub(crate) fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 4, 12, 49, 28).unwrap()
}

/// A client for `PROJECT` on a fixed clock that answers from a fresh fake.
pub(crate) fn client() -> (HuaweiClient, Arc<FakeTransport>) {
    let fake = Arc::new(FakeTransport::default());
    let client = HuaweiClient::builder()
        .region("ap-southeast-3")
        .project_id(PROJECT)
        .credentials(Credentials::ak_sk("AKTEST", "SKTEST"))
        .clock(fixed_now)
        .build()
        .unwrap()
        .with_fake(fake.clone());
    (client, fake)
}

/// A seed fixture from `tests/data/seed`.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/seed/",
            $name
        ))
    };
}
pub(crate) use fixture;
