//! Pure `SDK-HMAC-SHA256` request signer, byte-compatible with the official Huawei Cloud SDKs.
//!
//! The algorithm follows `huaweicloudsdkcore/signer/signer.py` (see the API digest §1.3): every
//! header present at signing time is signed except names containing `_`; the canonical URI is the
//! decoded path re-encoded per segment with a trailing `/` always appended; the canonical query is
//! sorted by key then value; the payload hash is `X-Sdk-Content-Sha256` when that header is set
//! (multipart uses `UNSIGNED-PAYLOAD`) and the SHA-256 of the body otherwise; the key is the raw
//! SK. Nothing here does IO or reads a clock: the caller passes the time in.

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header carrying the signing time.
pub const HEADER_DATE: &str = "X-Sdk-Date";
/// Header that, when present on a request with a body, replaces the payload hash.
pub const HEADER_CONTENT_SHA256: &str = "X-Sdk-Content-Sha256";
/// Value the SDK puts in [`HEADER_CONTENT_SHA256`] for bodies that are not JSON (multipart).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `strftime` format of [`HEADER_DATE`].
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// SHA-256 of the empty string, the payload hash of a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Python's `quote(s, safe='~')`: everything except RFC 3986 unreserved characters is encoded.
/// The same set encodes path parameters on the wire (`quote(v, safe='')` keeps `~` too).
pub(crate) const ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The parts of a request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SigningRequest<'a> {
    /// HTTP method; upper-cased when signing.
    pub method: &'a str,
    /// Request path as sent on the wire (path parameters already percent-encoded), no query.
    pub path: &'a str,
    /// Decoded query pairs; the wire query must be [`canonical_query`] of the same pairs.
    pub query: &'a [(String, String)],
    /// Headers present at signing time, in any case; `Host` is added from `host` when absent.
    pub headers: &'a [(String, String)],
    /// `host[:port]` exactly as it will be sent in the `Host` header.
    pub host: &'a str,
    /// Body bytes exactly as sent (empty for none).
    pub body: &'a [u8],
}

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The access key or the secret key is empty.
    #[error("access key and secret key must not be empty")]
    MissingKey,
    /// A caller-supplied `X-Sdk-Date` does not have the `YYYYMMDDTHHMMSSZ` form.
    #[error("invalid X-Sdk-Date header {value:?}, expected YYYYMMDDTHHMMSSZ")]
    InvalidDate {
        /// The rejected value.
        value: String,
    },
}

/// Signs `req` and returns the headers to add, in order: `X-Sdk-Date` (unless the request already
/// has one, which is then reused as the SDK does), `Host` (unless present) and `Authorization`.
pub fn sign(
    req: &SigningRequest<'_>,
    ak: &str,
    sk: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, SignError> {
    if ak.is_empty() || sk.is_empty() {
        return Err(SignError::MissingKey);
    }
    let mut headers: Vec<(String, String)> = req.headers.to_vec();
    let mut added = Vec::new();
    let date = match find_header(&headers, HEADER_DATE) {
        Some(value) => {
            let parsed = NaiveDateTime::parse_from_str(value, DATE_FORMAT).map_err(|_| {
                SignError::InvalidDate {
                    value: value.to_owned(),
                }
            })?;
            parsed.format(DATE_FORMAT).to_string()
        }
        None => {
            let value = now.format(DATE_FORMAT).to_string();
            headers.push((HEADER_DATE.to_owned(), value.clone()));
            added.push((HEADER_DATE.to_owned(), value.clone()));
            value
        }
    };
    if find_header(&headers, "host").is_none() {
        headers.push(("Host".to_owned(), req.host.to_owned()));
        added.push(("Host".to_owned(), req.host.to_owned()));
    }
    let signed = signed_headers(&headers);
    let canonical = canonical_request(req, &headers, &signed);
    let string_to_sign = format!("{ALGORITHM}\n{date}\n{}", sha256_hex(canonical.as_bytes()));
    let signature = hmac_hex(sk.as_bytes(), string_to_sign.as_bytes());
    let authorization = format!(
        "{ALGORITHM} Access={ak}, SignedHeaders={}, Signature={signature}",
        signed.join(";")
    );
    added.push(("Authorization".to_owned(), authorization));
    Ok(added)
}

/// The canonical request string for `req` given the full header list at signing time and the
/// sorted, lower-cased names to sign. Exposed so tests and verifiers can show their work.
pub fn canonical_request(
    req: &SigningRequest<'_>,
    headers: &[(String, String)],
    signed: &[String],
) -> String {
    // Later duplicates win, like the SDK's dict keyed by the lower-cased name.
    let mut values: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let trimmed = value.trim().to_owned();
        match values.iter_mut().find(|(n, _)| *n == lower) {
            Some(slot) => slot.1 = trimmed,
            None => values.push((lower, trimmed)),
        }
    }
    let mut canonical_headers = String::new();
    for name in signed {
        let value = values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        canonical_query(req.query),
        canonical_headers,
        signed.join(";"),
        payload_hash(headers, req.body)
    )
}

/// Lower-cased, sorted names of every header except those containing `_` (the SDK skips them).
pub fn signed_headers(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = headers
        .iter()
        .filter(|(name, _)| !name.contains('_'))
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    names.sort();
    names
}

/// Decodes the wire path, re-encodes each `/`-separated segment, and appends a trailing `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut out = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// `key=value` pairs, percent-encoded, sorted by key then value, joined with `&`. The client also
/// uses this as the wire query so that what is sent is exactly what was signed.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes one path segment or query component with the SDK's rules.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE_SET).to_string()
}

/// Parses the `Authorization` header of a request into `(access key, signed headers, signature)`.
pub fn parse_authorization(value: &str) -> Option<(&str, &str, &str)> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let mut access = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, val) = part.trim().split_once('=')?;
        match key {
            "Access" => access = Some(val),
            "SignedHeaders" => signed = Some(val),
            "Signature" => signature = Some(val),
            _ => return None,
        }
    }
    Some((access?, signed?, signature?))
}

fn payload_hash(headers: &[(String, String)], body: &[u8]) -> String {
    if body.is_empty() {
        return EMPTY_SHA256.to_owned();
    }
    match find_header(headers, HEADER_CONTENT_SHA256) {
        Some(value) if !value.is_empty() => value.to_owned(),
        _ => sha256_hex(body),
    }
}

fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC defensively.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const AK: &str = "AKTESTEXAMPLE";
    const SK: &str = "SKTESTEXAMPLESECRET";
    const HOST: &str = "cce.ap-southeast-1.myhuaweicloud.com";

    fn at_vector_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 4, 12, 49, 28).unwrap()
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn authorization(added: &[(String, String)]) -> &str {
        &added.iter().find(|(k, _)| k == "Authorization").unwrap().1
    }

    #[test]
    fn digest_vector_a_get_with_query() {
        let headers = h(&[
            ("Content-Type", "application/json"),
            ("Host", HOST),
            ("X-Project-Id", "0a1b2c3d4e5f"),
        ]);
        let query = h(&[("status", "Available"), ("detail", "true")]);
        let req = SigningRequest {
            method: "GET",
            path: "/autopilot/v3/projects/0a1b2c3d4e5f/clusters",
            query: &query,
            headers: &headers,
            host: HOST,
            body: b"",
        };
        let added = sign(&req, AK, SK, at_vector_time()).unwrap();
        assert_eq!(
            added[0],
            ("X-Sdk-Date".to_owned(), "20240604T124928Z".to_owned())
        );
        assert_eq!(
            added.len(),
            2,
            "Host was present, so only date and auth are added"
        );
        assert_eq!(
            authorization(&added),
            "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=62c6cb4af1da6a63bfcd5832def34f9582117fc9c33d66262aada90254949a76"
        );
    }

    #[test]
    fn digest_vector_b_post_json_body() {
        let headers = h(&[
            ("Content-Type", "application/json;charset=UTF-8"),
            ("X-Project-Id", "0a1b2c3d4e5f"),
        ]);
        let body = br#"{"tags":[{"key":"env","value":"prod"}]}"#;
        let req = SigningRequest {
            method: "POST",
            path: "/autopilot/v3/projects/0a1b2c3d4e5f/clusters/c1/tags/create",
            query: &[],
            headers: &headers,
            host: HOST,
            body,
        };
        assert_eq!(
            sha256_hex(body),
            "fb461830b55a0cd800355a13fc15ddef320ae4d01c2ded43c4ba3054d8cea2f0"
        );
        let added = sign(&req, AK, SK, at_vector_time()).unwrap();
        assert_eq!(added[1], ("Host".to_owned(), HOST.to_owned()));
        assert_eq!(
            authorization(&added),
            "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=094bcf015c064b5f16cf97357418fed3675fa3bf2dfaac4618571ec9f9ff7888"
        );
    }

    #[test]
    fn canonical_uri_reencodes_segments_and_appends_slash() {
        assert_eq!(canonical_uri("/a/b"), "/a/b/");
        assert_eq!(canonical_uri("/a/b/"), "/a/b/");
        assert_eq!(canonical_uri("/r/rel%20%C3%BC~1"), "/r/rel%20%C3%BC~1/");
        // A decoded %2F splits into two segments, exactly as the SDK's unquote-then-split does.
        assert_eq!(canonical_uri("/x/a%2Fb"), "/x/a/b/");
    }

    #[test]
    fn canonical_query_sorts_by_key_then_value_and_encodes_rfc3986() {
        let q = h(&[("b", "2"), ("a", "x y+z/ü"), ("b", "1")]);
        assert_eq!(canonical_query(&q), "a=x%20y%2Bz%2F%C3%BC&b=1&b=2");
        assert_eq!(canonical_query(&[]), "");
    }

    #[test]
    fn headers_with_underscore_are_not_signed() {
        let names = signed_headers(&h(&[("X_Custom", "1"), ("Content-Type", "x"), ("a", "")]));
        assert_eq!(names, vec!["a".to_owned(), "content-type".to_owned()]);
    }

    #[test]
    fn unsigned_payload_replaces_body_hash_but_not_for_empty_body() {
        let headers = h(&[(HEADER_CONTENT_SHA256, UNSIGNED_PAYLOAD)]);
        assert_eq!(payload_hash(&headers, b"data"), UNSIGNED_PAYLOAD);
        assert_eq!(payload_hash(&headers, b""), EMPTY_SHA256);
        assert_eq!(payload_hash(&[], b""), EMPTY_SHA256);
    }

    #[test]
    fn caller_date_is_reused_and_validated() {
        let headers = h(&[("X-Sdk-Date", "20200101T000000Z"), ("Host", HOST)]);
        let req = SigningRequest {
            method: "get",
            path: "/p",
            query: &[],
            headers: &headers,
            host: HOST,
            body: b"",
        };
        let added = sign(&req, AK, SK, at_vector_time()).unwrap();
        assert_eq!(added.len(), 1, "only Authorization is added");
        let bad = h(&[("X-Sdk-Date", "yesterday")]);
        let req = SigningRequest {
            headers: &bad,
            ..req
        };
        assert!(matches!(
            sign(&req, AK, SK, at_vector_time()),
            Err(SignError::InvalidDate { .. })
        ));
        assert!(matches!(
            sign(&req, "", SK, at_vector_time()),
            Err(SignError::MissingKey)
        ));
    }

    #[test]
    fn signature_changes_when_a_signed_part_changes() {
        let headers = h(&[("Host", HOST), ("Content-Type", "application/json")]);
        let base = SigningRequest {
            method: "PUT",
            path: "/p/q",
            query: &[],
            headers: &headers,
            host: HOST,
            body: b"{}",
        };
        let reference = sign(&base, AK, SK, at_vector_time()).unwrap();
        let other_body = SigningRequest {
            body: b"{ }",
            ..base
        };
        let other_path = SigningRequest {
            path: "/p/r",
            ..base
        };
        for changed in [other_body, other_path] {
            let added = sign(&changed, AK, SK, at_vector_time()).unwrap();
            assert_ne!(authorization(&added), authorization(&reference));
        }
    }

    #[test]
    fn parse_authorization_round_trips() {
        let v = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=abc";
        assert_eq!(
            parse_authorization(v),
            Some(("AK", "host;x-sdk-date", "abc"))
        );
        assert_eq!(parse_authorization("Bearer x"), None);
    }
}
