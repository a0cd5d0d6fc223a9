//! The CCE error codes of the API reference appendix (§7.2), with their HTTP status and a hint.

/// One documented CCE error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownCode {
    /// The code, e.g. `CCE.01404001`.
    pub code: &'static str,
    /// HTTP status the code is documented with.
    pub status: u16,
    /// The documented error message.
    pub message: &'static str,
    /// What it means or how to fix it, as a lowercase fragment.
    pub hint: &'static str,
}

/// Cluster already exists (`409`).
pub const CLUSTER_EXISTS: &str = "CCE.01409001";
/// Resource updated with an out-of-date version (`409`).
pub const STALE_VERSION: &str = "CCE.01409002";
/// Add-on instance already installed in the cluster (`409`).
pub const ADDON_EXISTS: &str = "CCE.03409001";
/// Resource locked by other requests (`429`): another operation runs on the same resource.
pub const LOCKED: &str = "CCE.01429002";
/// Throttling threshold reached (`429`).
pub const THROTTLED: &str = "CCE.02429001";

macro_rules! code {
    ($code:expr, $status:expr, $message:expr, $hint:expr) => {
        KnownCode {
            code: $code,
            status: $status,
            message: $message,
            hint: $hint,
        }
    };
}

/// Every code listed in the appendix, in its order.
pub const KNOWN_CODES: &[KnownCode] = &[
    code!(
        "CCE.01400001",
        400,
        "Invalid request.",
        "the request body is invalid"
    ),
    code!(
        "CCE.01400002",
        400,
        "Subnet not found in the VPC.",
        "the subnet is not in the given vpc"
    ),
    code!(
        "CCE.01400003",
        400,
        "IPv6 not supported for the subnet.",
        "use a subnet without ipv6"
    ),
    code!(
        "CCE.01400004",
        400,
        "No available flavors for master nodes.",
        "change the cluster flavor"
    ),
    code!(
        "CCE.01400005",
        400,
        "Container network CIDR blocks conflict.",
        "choose non-overlapping container cidr blocks"
    ),
    code!(
        "CCE.01400006",
        400,
        "Content type not supported.",
        "send Content-Type: application/json"
    ),
    code!(
        "CCE.01400007",
        400,
        "Insufficient cluster quota.",
        "cluster quota exceeded; request an increase by service ticket"
    ),
    code!(
        "CCE.01400008",
        400,
        "Insufficient server quota",
        "ecs quota exceeded"
    ),
    code!(
        "CCE.01400009",
        400,
        "Insufficient CPU quota.",
        "ecs cpu quota exceeded"
    ),
    code!(
        "CCE.01400010",
        400,
        "Insufficient memory quota.",
        "ecs memory quota exceeded"
    ),
    code!(
        "CCE.01400011",
        400,
        "Insufficient security group quota.",
        "security group quota exceeded"
    ),
    code!(
        "CCE.01400012",
        400,
        "Insufficient EIP quota.",
        "eip quota exceeded"
    ),
    code!(
        "CCE.01400013",
        400,
        "Insufficient volume quota.",
        "disk quota exceeded"
    ),
    code!(
        "CCE.01400014",
        400,
        "Excessive nodes in the cluster.",
        "the request exceeds the cluster scale"
    ),
    code!(
        "CCE.01400015",
        400,
        "Version not supported.",
        "the cluster version is not supported"
    ),
    code!(
        "CCE.01400016",
        400,
        "Current cluster type does not support this node flavor.",
        "choose another node flavor"
    ),
    code!(
        "CCE.01400017",
        400,
        "No available container CIDR block found.",
        "free or add container cidr blocks"
    ),
    code!(
        "CCE.01400018",
        400,
        "This type of OS cannot be created in this CCE version.",
        "choose another os"
    ),
    code!(
        "CCE.01400019",
        400,
        "Insufficient resource tenant quota.",
        "resource tenant quota exceeded"
    ),
    code!(
        "CCE.01400020",
        400,
        "Insufficient VPC quota.",
        "vpc quota exceeded"
    ),
    code!(
        "CCE.01400021",
        400,
        "No available flavors for nodes.",
        "choose another node flavor"
    ),
    code!(
        "CCE.01400022",
        400,
        "No available node volumes for nodes.",
        "no evs disk flavor is available"
    ),
    code!(
        "CCE.02400001",
        400,
        "Invalid request.",
        "the request body is invalid"
    ),
    code!(
        "CCE.03400001",
        400,
        "Invalid request.",
        "the request body is invalid"
    ),
    code!(
        "CCE.03400002",
        400,
        "Missing access key.",
        "storage add-on version problem"
    ),
    code!(
        "CCE.01401001",
        401,
        "Authorization failed.",
        "authentication failed; check the credentials"
    ),
    code!(
        "CCE.02401001",
        401,
        "Authorization failed.",
        "authentication failed; check the credentials"
    ),
    code!(
        "CCE.03401001",
        401,
        "Authorization failed.",
        "authentication failed; check the credentials"
    ),
    code!(
        "CCE.01403001",
        403,
        "Forbidden.",
        "access denied; check the iam permissions"
    ),
    code!(
        "CCE.02403001",
        403,
        "Forbidden.",
        "access denied; check the iam permissions"
    ),
    code!(
        "CCE.03403001",
        403,
        "Forbidden.",
        "access denied; check the iam permissions"
    ),
    code!(
        "CCE.01404001",
        404,
        "Resource not found.",
        "check whether the resource has been deleted"
    ),
    code!(
        "CCE.02404001",
        404,
        "Resource not found.",
        "check whether the resource has been deleted"
    ),
    code!(
        "CCE.03404001",
        404,
        "Resource not found.",
        "check whether the resource has been deleted"
    ),
    code!(
        CLUSTER_EXISTS,
        409,
        "The resource already exists.",
        "a resource with this name already exists"
    ),
    code!(
        "CCE.02409001",
        409,
        "The resource already exists.",
        "a resource with this name already exists"
    ),
    code!(
        STALE_VERSION,
        409,
        "Resource updated with out-of-date version.",
        "read the resource again and retry the update"
    ),
    code!(
        ADDON_EXISTS,
        409,
        "Addon instance has installed.",
        "the add-on is already installed in the cluster"
    ),
    code!(
        LOCKED,
        429,
        "Resource locked by other requests.",
        "another operation is running on the same resource; retry later"
    ),
    code!(
        THROTTLED,
        429,
        "The throttling threshold has been reached.",
        "rate limited; retry later"
    ),
    code!(
        "CCE.01500001",
        500,
        "Internal error.",
        "server-side failure; retry later"
    ),
    code!(
        "CCE.02500001",
        500,
        "Internal error.",
        "server-side failure; retry later"
    ),
    code!(
        "CCE.03500001",
        500,
        "Internal error.",
        "server-side failure; retry later"
    ),
];

/// Looks up a documented code.
pub fn lookup(code: &str) -> Option<&'static KnownCode> {
    KNOWN_CODES.iter().find(|known| known.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_its_status_matches_its_digits() {
        for (i, known) in KNOWN_CODES.iter().enumerate() {
            assert!(
                KNOWN_CODES[i + 1..].iter().all(|k| k.code != known.code),
                "duplicate {}",
                known.code
            );
            // CCE.xxSSSnnn: the three digits after the family prefix are the HTTP status.
            let status: u16 = known.code[6..9].parse().unwrap();
            assert_eq!(status, known.status, "{}", known.code);
        }
        assert_eq!(KNOWN_CODES.len(), 43);
    }

    #[test]
    fn lookup_finds_documented_codes_only() {
        assert_eq!(lookup(LOCKED).map(|k| k.status), Some(429));
        assert_eq!(
            lookup(ADDON_EXISTS).map(|k| k.message),
            Some("Addon instance has installed.")
        );
        assert!(lookup("CCE.09999999").is_none());
    }
}
