//! Credentials for the CCE API: AK/SK (optionally with an STS security token) or an IAM token.
//!
//! Secrets never appear in `Debug` output: the access key is shown (it identifies the key pair and
//! appears in every `Authorization` header anyway); the secret key and tokens are redacted.

use std::fmt;

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// AK/SK signing with `SDK-HMAC-SHA256`.
    AkSk {
        /// Access key id.
        ak: String,
        /// Secret access key.
        sk: String,
        /// STS security token for temporary credentials, sent as `X-Security-Token`.
        security_token: Option<String>,
    },
    /// An IAM token sent as `X-Auth-Token` (obtained from `POST /v3/auth/tokens`, valid 24 h).
    Token(String),
}

impl Credentials {
    /// Permanent AK/SK credentials.
    pub fn ak_sk(ak: impl Into<String>, sk: impl Into<String>) -> Self {
        Credentials::AkSk {
            ak: ak.into(),
            sk: sk.into(),
            security_token: None,
        }
    }

    /// Temporary AK/SK credentials with their STS security token.
    pub fn temporary(
        ak: impl Into<String>,
        sk: impl Into<String>,
        security_token: impl Into<String>,
    ) -> Self {
        Credentials::AkSk {
            ak: ak.into(),
            sk: sk.into(),
            security_token: Some(security_token.into()),
        }
    }

    /// IAM token credentials.
    pub fn token(token: impl Into<String>) -> Self {
        Credentials::Token(token.into())
    }

    /// True when any secret part is empty, which would make every request fail.
    pub(crate) fn is_incomplete(&self) -> bool {
        match self {
            Credentials::AkSk { ak, sk, .. } => ak.is_empty() || sk.is_empty(),
            Credentials::Token(token) => token.is_empty(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AkSk {
                ak, security_token, ..
            } => f
                .debug_struct("AkSk")
                .field("ak", ak)
                .field("sk", &"<redacted>")
                .field(
                    "security_token",
                    &security_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            Credentials::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let all = [
            Credentials::ak_sk("AKVISIBLE", "very-secret-sk"),
            Credentials::temporary("AKVISIBLE", "very-secret-sk", "sts-token-value"),
            Credentials::token("iam-token-value"),
        ];
        for creds in all {
            let shown = format!("{creds:?} {creds:#?}");
            for secret in ["very-secret-sk", "sts-token-value", "iam-token-value"] {
                assert!(!shown.contains(secret), "{shown}");
            }
            assert!(shown.contains("<redacted>"));
        }
        assert!(format!("{:?}", Credentials::ak_sk("AKVISIBLE", "x")).contains("AKVISIBLE"));
    }

    #[test]
    fn incomplete_credentials_are_detected() {
        assert!(Credentials::ak_sk("", "sk").is_incomplete());
        assert!(Credentials::token("").is_incomplete());
        assert!(!Credentials::ak_sk("ak", "sk").is_incomplete());
    }
}
