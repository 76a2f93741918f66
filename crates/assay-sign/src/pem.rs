//! PEM blocks. Hand-written (30 lines) rather than pem-rfc7468 because assay reads files with
//! several blocks (Fulcio root bundles, certificate chains) and tolerates the blank lines and
//! CRLF line ends other tools leave, while writing exactly what Go's `encoding/pem` writes
//! (64-column base64, LF), which is what cosign writes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One `-----BEGIN LABEL-----` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The label (`PUBLIC KEY`, `CERTIFICATE`...).
    pub label: String,
    /// The decoded bytes.
    pub der: Vec<u8>,
}

/// Every block in `text`, in order. Text outside blocks is ignored (as Go does); a block whose
/// base64 does not decode or that never ends is an error.
pub fn parse_all(text: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut ended = false;
        for line in lines.by_ref() {
            if line == end {
                ended = true;
                break;
            }
            if line.contains(':') {
                // RFC 1421 headers (Proc-Type...) mark legacy encrypted PEM, which no cosign
                // key uses.
                return Err(format!(
                    "PEM block {label:?} has headers (legacy encryption)"
                ));
            }
            body.push_str(line);
        }
        if !ended {
            return Err(format!("PEM block {label:?} has no END line"));
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("PEM block {label:?}: bad base64: {e}"))?;
        blocks.push(Block {
            label: label.to_string(),
            der,
        });
    }
    Ok(blocks)
}

/// Encodes one block as Go's `pem.Encode` does.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_wraps_at_64_columns() {
        let der: Vec<u8> = (0..=200u8).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(
            text.lines()
                .all(|l| l.len() <= 64 || l.starts_with("-----"))
        );
        let blocks = parse_all(&text).expect("parses");
        assert_eq!(
            blocks,
            vec![Block {
                label: "PUBLIC KEY".into(),
                der
            }]
        );
    }

    #[test]
    fn refuses_unterminated_block() {
        assert!(parse_all("-----BEGIN X-----\nAAAA\n").is_err());
    }
}
