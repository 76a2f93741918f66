//! Telling from a variable or key name that it holds a secret, shared by the Dockerfile
//! (`ENV`/`ARG`) and Kubernetes (`env`, ConfigMap keys) rules so both flag the same names.

/// Words that mark a secret anywhere in a name (`DB_PASSWORD`, `stripeApiKey` once upper-cased).
const WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "CLIENT_KEY",
];

/// Endings of names that point at a secret or describe it without holding it
/// (`PASSWORD_FILE`, `TOKEN_PATH`, `SECRET_NAME`, `TOKEN_TTL`).
const POINTERS: &[&str] = &[
    "_FILE",
    "_PATH",
    "_DIR",
    "_URL",
    "_ENDPOINT",
    "_ID",
    "_NAME",
    "_REF",
    "_USER",
    "_USERNAME",
    "_LENGTH",
    "_TTL",
];

/// Whether `name` says it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    WORDS.iter().any(|w| upper.contains(w)) && !POINTERS.iter().any(|p| upper.ends_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_holding_secrets_are_recognised() {
        for name in [
            "DB_PASSWORD",
            "stripe-api-key",
            "githubToken",
            "AWS_SECRET_ACCESS_KEY",
            "client.key.CLIENT_KEY",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn names_pointing_at_secrets_are_not() {
        for name in [
            "PASSWORD_FILE",
            "TOKEN_PATH",
            "SECRET_NAME",
            "LOG_LEVEL",
            "TOKEN_TTL",
            "API_KEY_ID",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
