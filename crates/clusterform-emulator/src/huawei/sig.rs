//! SDK-HMAC-SHA256 request signature verification, written independently of any client crate.
//!
//! Recomputes the signature over exactly the headers the request's `SignedHeaders` names,
//! using the `Host` header as received, and compares in constant time (digest §1.3).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// Headers every signature must cover: the cloud makes `Host` mandatory for AK/SK requests and the
/// signing adds `X-Sdk-Date` (seed §3.2/§3.1); signing both is what binds a signature to one
/// endpoint and one moment, so a replay elsewhere or later is refused.
pub const REQUIRED_SIGNED: [&str; 2] = ["host", "x-sdk-date"];

/// Everything but RFC 3986 unreserved characters is encoded (Python `quote(s, safe='~')`).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// SHA-256 of the empty string, the payload hash of a request without body.
pub const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Why a signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigError {
    /// No `Authorization` header at all.
    #[error("missing Authorization header")]
    Missing,
    /// The `Authorization` header is not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    #[error("malformed Authorization header")]
    Malformed,
    /// The access key is not known.
    #[error("unknown access key")]
    UnknownKey,
    /// `X-Sdk-Date` is missing or unparsable.
    #[error("missing or invalid X-Sdk-Date")]
    BadDate,
    /// `X-Sdk-Date` is too far from the server clock.
    #[error("X-Sdk-Date is more than the allowed skew away from the server clock")]
    ClockSkew,
    /// A header named in `SignedHeaders` is absent from the request.
    #[error("signed header {0} is missing")]
    MissingSignedHeader(String),
    /// `SignedHeaders` leaves out `host` or `x-sdk-date`, which the signature must cover.
    #[error("SignedHeaders must include {0}")]
    UnsignedRequired(&'static str),
    /// The recomputed signature differs.
    #[error("signature mismatch")]
    Mismatch,
}

/// The parts of an HTTP request the signature covers, borrowed from the request.
#[derive(Debug)]
pub struct SignedRequest<'a> {
    /// Upper-case method.
    pub method: &'a str,
    /// Path as received on the wire (still percent-encoded).
    pub raw_path: &'a str,
    /// Query string as received, without `?`.
    pub raw_query: &'a str,
    /// Header (lower-case name, raw value bytes) pairs, in received order.
    pub headers: Vec<(String, &'a [u8])>,
    /// Body bytes.
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// The parsed `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthHeader {
    /// Access key.
    pub access: String,
    /// Lower-case signed header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(value: &str) -> Result<AuthHeader, SigError> {
    let rest = value.strip_prefix(ALGORITHM).ok_or(SigError::Malformed)?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (k, v) = part.split_once('=').ok_or(SigError::Malformed)?;
        match k.trim() {
            "Access" => access = Some(v.trim().to_string()),
            "SignedHeaders" => signed = Some(v.trim().to_string()),
            "Signature" => signature = Some(v.trim().to_string()),
            _ => return Err(SigError::Malformed),
        }
    }
    let signed = signed.ok_or(SigError::Malformed)?;
    let signed_headers: Vec<String> = signed.split(';').map(|s| s.to_ascii_lowercase()).collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return Err(SigError::Malformed);
    }
    Ok(AuthHeader {
        access: access
            .filter(|a| !a.is_empty())
            .ok_or(SigError::Malformed)?,
        signed_headers,
        signature: signature.ok_or(SigError::Malformed)?,
    })
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// Canonical URI: decode, re-encode each segment, always end with `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    let decoded = decode(raw_path);
    let mut out = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Canonical query: decoded pairs sorted by key then value, re-encoded, joined with `&`.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn trim_bytes(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    v.get(start..end).unwrap_or_default()
}

/// Builds the canonical request bytes for the given signed header list.
pub fn canonical_request(req: &SignedRequest<'_>, signed: &[String]) -> Result<Vec<u8>, SigError> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(req.method.to_ascii_uppercase().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(req.raw_path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(req.raw_query).as_bytes());
    out.push(b'\n');
    for name in signed {
        let value = req
            .header(name)
            .ok_or_else(|| SigError::MissingSignedHeader(name.clone()))?;
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(trim_bytes(value));
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash(req).as_bytes());
    Ok(out)
}

fn payload_hash(req: &SignedRequest<'_>) -> String {
    if req.body.is_empty() {
        return EMPTY_HASH.to_string();
    }
    if let Some(v) = req.header("x-sdk-content-sha256") {
        return String::from_utf8_lossy(v).into_owned();
    }
    hex::encode(Sha256::digest(req.body))
}

/// The string to sign for a canonical request and an `X-Sdk-Date` value.
pub fn string_to_sign(canonical: &[u8], sdk_date: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex::encode(Sha256::digest(canonical))
    )
}

/// Parses an `X-Sdk-Date` value (`%Y%m%dT%H%M%SZ`).
pub fn parse_sdk_date(v: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| n.and_utc())
}

/// Verifies a request. `secret_for` maps an access key to its secret key.
pub fn verify(
    req: &SignedRequest<'_>,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
    max_skew: Duration,
) -> Result<String, SigError> {
    let auth = req.header("authorization").ok_or(SigError::Missing)?;
    let auth = parse_authorization(std::str::from_utf8(auth).map_err(|_| SigError::Malformed)?)?;
    if let Some(h) = REQUIRED_SIGNED
        .into_iter()
        .find(|h| !auth.signed_headers.iter().any(|s| s == h))
    {
        return Err(SigError::UnsignedRequired(h));
    }
    let date_raw = req.header("x-sdk-date").ok_or(SigError::BadDate)?;
    let date_str = std::str::from_utf8(date_raw)
        .map_err(|_| SigError::BadDate)?
        .trim();
    let date = parse_sdk_date(date_str).ok_or(SigError::BadDate)?;
    if (now - date).abs() > max_skew {
        return Err(SigError::ClockSkew);
    }
    let secret = secret_for(&auth.access).ok_or(SigError::UnknownKey)?;
    let canonical = canonical_request(req, &auth.signed_headers)?;
    let sts = string_to_sign(&canonical, date_str);
    let given = hex::decode(&auth.signature).map_err(|_| SigError::Mismatch)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SigError::Mismatch)?;
    mac.update(sts.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&given).map_err(|_| SigError::Mismatch)?;
    Ok(auth.access)
}

#[cfg(test)]
#[path = "sig_tests.rs"]
mod tests;
