//! Kubernetes' object rules: DNS-1123 names, label keys and values
//! (apimachinery's `validation.IsDNS1123Subdomain`, `IsQualifiedName`,
//! `IsValidLabelValue`), and genmon's mapping of spec names onto them.

/// Longest DNS-1123 subdomain (object names).
pub const MAX_SUBDOMAIN: usize = 253;
/// Longest DNS-1123 label (namespaces, the names genmon derives) and label value / key name part.
pub const MAX_LABEL: usize = 63;

fn alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_LABEL && s.chars().all(|c| alnum(c) || c == '-') && s.starts_with(alnum) && s.ends_with(alnum)
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= MAX_SUBDOMAIN && s.split('.').all(is_dns1123_label)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63 characters: a label
/// value (may also be empty) and the name part of a label or annotation key.
fn is_label_part(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_alphanumeric();
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.chars().all(|c| edge(c) || matches!(c, '-' | '_' | '.'))
        && s.starts_with(edge)
        && s.ends_with(edge)
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS-1123 subdomain.
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_label_part(name),
        None => is_label_part(s),
    }
}

/// A label value: empty, or at most 63 characters of `[-A-Za-z0-9_.]` that
/// start and end alphanumeric.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_label_part(s)
}

/// Map a spec name onto a DNS-1123 label (no dots): lower case, every run of
/// other characters becomes one `-`. A result longer than `max` is cut and
/// ends with 8 hex digits of the full name's SHA-256, so long names stay
/// apart. Different names can still map to the same result (`Db` and
/// `db`): callers check for collisions.
pub fn object_name(prefix: &str, name: &str, max: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + name.len());
    for c in prefix.chars().chain(name.chars()) {
        let c = c.to_ascii_lowercase();
        if alnum(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_string();
    if out.len() > max {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(name.as_bytes());
        let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        out.truncate(max.saturating_sub(hex.len() + 1));
        out = format!("{}-{hex}", out.trim_end_matches('-'));
    }
    out
}

/// A Secret data key for a file path: its file name, with every character
/// outside `[-._a-zA-Z0-9]` replaced by `_`.
pub fn secret_key(file: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns1123() {
        assert_eq!(object_name("genmon-", "Node_Alerts", MAX_SUBDOMAIN), "genmon-node-alerts");
        assert_eq!(object_name("genmon-", "a..b__", MAX_SUBDOMAIN), "genmon-a-b");
        let long = object_name("genmon-", &"x".repeat(400), MAX_LABEL);
        assert_eq!(long.len(), MAX_LABEL);
        assert!(is_dns1123_label(&long));
        assert_ne!(long, object_name("genmon-", &"x".repeat(401), MAX_LABEL), "long names stay apart");
        assert!(is_dns1123_subdomain("genmon.dashboards-1"));
        assert!(!is_dns1123_subdomain("Genmon"));
        assert!(!is_dns1123_subdomain("-genmon"));
        assert!(!is_dns1123_label("a.b"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
    }

    #[test]
    fn labels_follow_kubernetes() {
        assert!(is_qualified_name("app.kubernetes.io/managed-by"));
        assert!(is_qualified_name("grafana_dashboard"));
        assert!(!is_qualified_name("bad key"));
        assert!(!is_qualified_name("Example.com/x"));
        assert!(!is_qualified_name(&"k".repeat(64)));
        assert!(is_label_value(""));
        assert!(is_label_value("1"));
        assert!(!is_label_value("-x"));
        assert!(!is_label_value(&"v".repeat(64)));
        assert_eq!(secret_key("/run/secrets/slack url"), "slack_url");
    }
}
