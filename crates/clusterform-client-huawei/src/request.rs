//! The transport-neutral description of one API call, and helpers to build paths and bodies.

use reqwest::Method;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ClientError;
use crate::signer;

/// One API call before signing: method, encoded path, decoded query pairs and body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// Path with every parameter percent-encoded; starts with `/autopilot`.
    pub path: String,
    /// Decoded query pairs; sent as [`signer::canonical_query`].
    pub query: Vec<(String, String)>,
    pub body: RequestBody,
}

/// The body of a request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RequestBody {
    None,
    /// Serialized JSON, sent as `application/json` and hashed into the signature.
    Json(Vec<u8>),
    /// A `multipart/form-data` body, signed as `UNSIGNED-PAYLOAD` like the SDK does.
    Multipart {
        content_type: String,
        bytes: Vec<u8>,
    },
}

impl ApiRequest {
    pub fn new(method: Method, path: String) -> Self {
        ApiRequest {
            method,
            path,
            query: Vec::new(),
            body: RequestBody::None,
        }
    }

    pub fn query(mut self, pairs: Vec<(String, String)>) -> Self {
        self.query = pairs;
        self
    }

    pub fn json<T: Serialize>(mut self, body: &T) -> Result<Self, ClientError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ClientError::invalid(format!("request body does not serialize: {e}")))?;
        self.body = RequestBody::Json(bytes);
        Ok(self)
    }

    pub fn multipart(mut self, form: Multipart) -> Self {
        let content_type = format!("multipart/form-data; boundary={}", form.boundary);
        self.body = RequestBody::Multipart {
            content_type,
            bytes: form.finish(),
        };
        self
    }
}

/// Percent-encodes one path parameter, refusing empty values: an empty id would silently turn
/// `…/clusters/{id}` into the collection path `…/clusters/`.
pub(crate) fn seg(what: &str, value: &str) -> Result<String, ClientError> {
    if value.is_empty() {
        return Err(ClientError::invalid(format!("{what} must not be empty")));
    }
    Ok(signer::encode(value))
}

/// Collects optional query parameters in declaration order.
#[derive(Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub fn opt(mut self, key: &str, value: &Option<String>) -> Self {
        if let Some(v) = value {
            self.0.push((key.to_owned(), v.clone()));
        }
        self
    }

    pub fn opt_bool(mut self, key: &str, value: Option<bool>) -> Self {
        if let Some(v) = value {
            self.0.push((key.to_owned(), v.to_string()));
        }
        self
    }

    pub fn finish(self) -> Vec<(String, String)> {
        self.0
    }
}

/// A small in-memory `multipart/form-data` writer. Charts are small `.tgz` files, and building
/// the bytes up front lets the request be signed, logged in tests and resent unchanged.
pub(crate) struct Multipart {
    boundary: String,
    parts: Vec<Part>,
}

/// One form field: a text value, or a file with its name and content type.
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

impl Multipart {
    /// A writer whose boundary is derived from `seed` (the file bytes), so bodies are
    /// reproducible, and re-derived until it does not occur inside any part.
    pub fn new(seed: &[u8]) -> Self {
        Multipart {
            boundary: hex::encode(&Sha256::digest(seed)[..16]),
            parts: Vec::new(),
        }
    }

    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.parts.push(Part {
            name: name.to_owned(),
            file_name: None,
            content_type: None,
            bytes: value.as_bytes().to_vec(),
        });
        self
    }

    pub fn file(mut self, name: &str, file_name: &str, content_type: &str, bytes: Vec<u8>) -> Self {
        self.parts.push(Part {
            name: name.to_owned(),
            file_name: Some(file_name.to_owned()),
            content_type: Some(content_type.to_owned()),
            bytes,
        });
        self
    }

    fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        for Part {
            name,
            file_name,
            content_type,
            bytes,
        } in &self.parts
        {
            out.extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
            let mut disposition =
                format!("Content-Disposition: form-data; name=\"{}\"", quote(name));
            if let Some(file_name) = file_name {
                disposition.push_str(&format!("; filename=\"{}\"", quote(file_name)));
            }
            out.extend_from_slice(disposition.as_bytes());
            out.extend_from_slice(b"\r\n");
            if let Some(ct) = content_type {
                out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        out
    }

    /// Makes sure the boundary does not occur in any part, re-hashing until it does not.
    pub fn with_safe_boundary(mut self) -> Self {
        while self
            .parts
            .iter()
            .any(|part| contains(&part.bytes, self.boundary.as_bytes()))
        {
            self.boundary = hex::encode(&Sha256::digest(self.boundary.as_bytes())[..16]);
        }
        self
    }
}

/// Quoted-string escaping for form field and file names.
fn quote(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_path_parameters_are_rejected_and_others_encoded() {
        assert!(matches!(
            seg("cluster id", ""),
            Err(ClientError::InvalidInput { .. })
        ));
        assert_eq!(seg("name", "rel ü~1/x").unwrap(), "rel%20%C3%BC~1%2Fx");
    }

    #[test]
    fn multipart_body_has_parts_and_closing_boundary() {
        let form = Multipart::new(b"seed")
            .text("parameters", r#"{"override":true}"#)
            .file("content", "a.tgz", "application/gzip", b"TGZ".to_vec())
            .with_safe_boundary();
        let boundary = form.boundary.clone();
        let req = ApiRequest::new(Method::POST, "/x".into()).multipart(form);
        let RequestBody::Multipart {
            content_type,
            bytes,
        } = req.body
        else {
            panic!("not multipart")
        };
        assert_eq!(
            content_type,
            format!("multipart/form-data; boundary={boundary}")
        );
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"parameters\"\r\n\r\n{{\"override\":true}}\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.tgz\"\r\n\
                 Content-Type: application/gzip\r\n\r\nTGZ\r\n--{b}--\r\n",
                b = boundary
            )
        );
    }

    #[test]
    fn boundary_never_occurs_in_content() {
        let clash = hex::encode(&Sha256::digest(b"seed")[..16]);
        let form = Multipart::new(b"seed")
            .file(
                "content",
                "x",
                "application/gzip",
                clash.clone().into_bytes(),
            )
            .with_safe_boundary();
        assert_ne!(form.boundary, clash);
    }
}
