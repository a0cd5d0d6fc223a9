//! Unit tests for the signature verifier: digest §1.3 vectors, tampering, clock skew.

use super::*;
use chrono::TimeZone;

const AK: &str = "AKTESTEXAMPLE";
const SK: &str = "SKTESTEXAMPLESECRET";
const DATE: &str = "20240604T124928Z";
const HOST: &str = "cce.ap-southeast-1.myhuaweicloud.com";
const AUTH_A: &str = "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=62c6cb4af1da6a63bfcd5832def34f9582117fc9c33d66262aada90254949a76";
const AUTH_B: &str = "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=094bcf015c064b5f16cf97357418fed3675fa3bf2dfaac4618571ec9f9ff7888";
const BODY_B: &[u8] = br#"{"tags":[{"key":"env","value":"prod"}]}"#;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 4, 12, 50, 0)
        .single()
        .unwrap_or_default()
}

fn secrets(ak: &str) -> Option<String> {
    (ak == AK).then(|| SK.to_string())
}

struct Parts {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Parts {
    fn a() -> Self {
        Parts {
            method: "GET",
            path: "/autopilot/v3/projects/0a1b2c3d4e5f/clusters".into(),
            query: "detail=true&status=Available".into(),
            headers: vec![
                ("content-type".into(), b"application/json".to_vec()),
                ("host".into(), HOST.as_bytes().to_vec()),
                ("x-project-id".into(), b"0a1b2c3d4e5f".to_vec()),
                ("x-sdk-date".into(), DATE.as_bytes().to_vec()),
                ("authorization".into(), AUTH_A.as_bytes().to_vec()),
                ("accept".into(), b"*/*".to_vec()),
            ],
            body: vec![],
        }
    }

    fn b() -> Self {
        Parts {
            method: "POST",
            path: "/autopilot/v3/projects/0a1b2c3d4e5f/clusters/c1/tags/create".into(),
            query: String::new(),
            headers: vec![
                (
                    "content-type".into(),
                    b"application/json;charset=UTF-8".to_vec(),
                ),
                ("host".into(), HOST.as_bytes().to_vec()),
                ("x-project-id".into(), b"0a1b2c3d4e5f".to_vec()),
                ("x-sdk-date".into(), DATE.as_bytes().to_vec()),
                ("authorization".into(), AUTH_B.as_bytes().to_vec()),
            ],
            body: BODY_B.to_vec(),
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| n != name);
        self.headers
            .push((name.to_string(), value.as_bytes().to_vec()));
    }

    fn verify_at(&self, at: DateTime<Utc>) -> Result<String, SigError> {
        let req = SignedRequest {
            method: self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.as_slice()))
                .collect(),
            body: &self.body,
        };
        verify(&req, &secrets, at, Duration::minutes(15))
    }

    fn verify(&self) -> Result<String, SigError> {
        self.verify_at(now())
    }
}

#[test]
fn vector_a_canonical_request_and_hash_match_the_digest() {
    let p = Parts::a();
    let req = SignedRequest {
        method: p.method,
        raw_path: &p.path,
        raw_query: &p.query,
        headers: p
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.as_slice()))
            .collect(),
        body: &p.body,
    };
    let signed: Vec<String> = ["content-type", "host", "x-project-id", "x-sdk-date"]
        .map(String::from)
        .to_vec();
    let canonical = canonical_request(&req, &signed).unwrap();
    let text = String::from_utf8(canonical.clone()).unwrap();
    assert!(text.starts_with(
        "GET\n/autopilot/v3/projects/0a1b2c3d4e5f/clusters/\ndetail=true&status=Available\n"
    ));
    let sts = string_to_sign(&canonical, DATE);
    assert!(sts.ends_with("0c68a97f7c5180cb9577720af912893b8bdca2dea76584d7e9f0e1cd1c6413be"));
}

#[test]
fn vector_a_verifies() {
    assert_eq!(Parts::a().verify().unwrap(), AK);
}

#[test]
fn vector_b_verifies() {
    assert_eq!(Parts::b().verify().unwrap(), AK);
}

#[test]
fn query_order_on_the_wire_does_not_matter() {
    let mut p = Parts::a();
    p.query = "status=Available&detail=true".into();
    assert!(p.verify().is_ok());
}

#[test]
fn wrong_secret_is_refused() {
    let p = Parts::a();
    let req = SignedRequest {
        method: p.method,
        raw_path: &p.path,
        raw_query: &p.query,
        headers: p
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.as_slice()))
            .collect(),
        body: &p.body,
    };
    let wrong = |_: &str| Some("other-secret".to_string());
    assert_eq!(
        verify(&req, &wrong, now(), Duration::minutes(15)),
        Err(SigError::Mismatch)
    );
}

#[test]
fn unknown_access_key_is_refused() {
    let mut p = Parts::a();
    p.set("authorization", &AUTH_A.replace("AKTESTEXAMPLE", "AKOTHER"));
    assert_eq!(p.verify(), Err(SigError::UnknownKey));
}

#[test]
fn altered_path_is_refused() {
    let mut p = Parts::a();
    p.path = "/autopilot/v3/projects/0a1b2c3d4e5f/clusterz".into();
    assert_eq!(p.verify(), Err(SigError::Mismatch));
}

#[test]
fn altered_query_is_refused() {
    let mut p = Parts::a();
    p.query = "detail=true&status=Creating".into();
    assert_eq!(p.verify(), Err(SigError::Mismatch));
}

#[test]
fn altered_signed_header_is_refused() {
    let mut p = Parts::a();
    p.set("x-project-id", "ffffffffffff");
    assert_eq!(p.verify(), Err(SigError::Mismatch));
    let mut p = Parts::a();
    p.set("host", "127.0.0.1:8080");
    assert_eq!(p.verify(), Err(SigError::Mismatch));
}

#[test]
fn unsigned_header_may_change() {
    let mut p = Parts::a();
    p.set("accept", "application/json");
    assert!(p.verify().is_ok());
}

#[test]
fn missing_signed_header_is_refused() {
    let mut p = Parts::a();
    p.headers.retain(|(n, _)| n != "x-project-id");
    assert_eq!(
        p.verify(),
        Err(SigError::MissingSignedHeader("x-project-id".into()))
    );
}

#[test]
fn altered_body_is_refused() {
    let mut p = Parts::b();
    p.body = br#"{"tags":[{"key":"env","value":"dev"}]}"#.to_vec();
    assert_eq!(p.verify(), Err(SigError::Mismatch));
}

#[test]
fn altered_method_is_refused() {
    let mut p = Parts::b();
    p.method = "PUT";
    assert_eq!(p.verify(), Err(SigError::Mismatch));
}

#[test]
fn clock_skew_beyond_fifteen_minutes_is_refused() {
    let p = Parts::a();
    let date = parse_sdk_date(DATE).unwrap();
    assert!(p.verify_at(date + Duration::minutes(15)).is_ok());
    assert_eq!(
        p.verify_at(date + Duration::minutes(16)),
        Err(SigError::ClockSkew)
    );
    assert_eq!(
        p.verify_at(date - Duration::minutes(16)),
        Err(SigError::ClockSkew)
    );
}

#[test]
fn missing_or_malformed_authorization_is_refused() {
    let mut p = Parts::a();
    p.headers.retain(|(n, _)| n != "authorization");
    assert_eq!(p.verify(), Err(SigError::Missing));
    p.set("authorization", "Bearer abc");
    assert_eq!(p.verify(), Err(SigError::Malformed));
}

#[test]
fn canonical_uri_reencodes_segments() {
    assert_eq!(canonical_uri("/a%20b/c~d/"), "/a%20b/c~d/");
    assert_eq!(canonical_uri("/x/y"), "/x/y/");
    assert_eq!(canonical_query("b=2&a=%3A&a=1"), "a=1&a=%3A&b=2");
}

#[test]
fn host_and_sdk_date_must_be_signed() {
    // A signature over fewer headers is refused even when it is correct for those headers.
    for (left_out, signed) in [
        ("host", "content-type;x-project-id;x-sdk-date"),
        ("x-sdk-date", "content-type;host;x-project-id"),
    ] {
        let mut p = Parts::a();
        let names: Vec<String> = signed.split(';').map(str::to_string).collect();
        let req = SignedRequest {
            method: p.method,
            raw_path: &p.path,
            raw_query: &p.query,
            headers: p
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.as_slice()))
                .collect(),
            body: &p.body,
        };
        let canonical = canonical_request(&req, &names).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(SK.as_bytes()).unwrap();
        mac.update(string_to_sign(&canonical, DATE).as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let auth =
            format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={signed}, Signature={signature}");
        p.set("authorization", &auth);
        assert_eq!(p.verify(), Err(SigError::UnsignedRequired(left_out)));
    }
}
