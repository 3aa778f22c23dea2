//! `overrides:` reach the alerts `services:` generate (they are expanded
//! after composition): what Prometheus reads carries the override, and what
//! cannot apply is an error that says why.

mod common;

use common::{genmon, render};

const SERVICE: &str = r#"version: 1
alerting: {runbook_base_url: "https://r.example/#"}
services:
  - name: checkout
    scrape: {name: checkout, targets: ['127.0.0.1:9464']}
"#;

fn spec(dir: &std::path::Path, overrides: &str) -> std::path::PathBuf {
    let p = dir.join("genmon.yaml");
    std::fs::write(&p, format!("{SERVICE}overrides:\n  alerts:\n{overrides}")).unwrap();
    p
}

/// The rendered rule of alert `name` (its lines up to the next rule).
fn rule(out: &std::path::Path, name: &str) -> String {
    let text = std::fs::read_to_string(out.join("alerts/service-checkout.rules.yml")).unwrap();
    let start = text
        .find(&format!("- alert: {name}\n"))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"));
    let rest = &text[start + 2..];
    rest[..rest.find("\n  - ").unwrap_or(rest.len())].to_owned()
}

#[test]
fn an_override_changes_a_service_generated_alert() {
    let d = tempfile::tempdir().unwrap();
    let p = spec(
        d.path(),
        "    CheckoutHighErrorRatio: {severity: critical, for: 5m, threshold: 0.1, labels: {team: pay}}\n    CheckoutAvailability: {summary: checkout burns}\n",
    );
    std::fs::write(
        &p,
        std::fs::read_to_string(&p).unwrap().replace(
            "targets: ['127.0.0.1:9464']}\n",
            "targets: ['127.0.0.1:9464']}\n    slo: {availability: 99.9}\n",
        ),
    )
    .unwrap();
    let out = render(&p);
    let r = rule(out.path(), "CheckoutHighErrorRatio");
    assert!(r.contains("expr: signal:checkout_error_ratio:value > 0.1\n"), "{r}");
    assert!(r.contains("for: 5m\n"), "{r}");
    assert!(r.contains("severity: critical\n"), "{r}");
    assert!(r.contains("team: pay\n"), "{r}");
    // The others keep the service's levels.
    let other = rule(out.path(), "CheckoutHighLatency");
    assert!(other.contains("severity: warning\n") && other.contains("for: 10m\n"), "{other}");
    // The SLO's generated alerts see the override of their spec alert.
    let slo = std::fs::read_to_string(out.path().join("alerts/slo-checkout-availability.rules.yml")).unwrap();
    assert_eq!(slo.matches("summary: checkout burns\n").count(), 3, "{slo}");
}

#[test]
fn what_cannot_apply_to_a_service_alert_says_why() {
    for (ov, want) in [
        (
            "    CheckoutHighErrorRatio: {disabled: true}\n",
            "alert `CheckoutHighErrorRatio` is generated from `services:` and cannot be disabled",
        ),
        (
            "    CheckoutDown: {threshold: 3}\n",
            "alert `CheckoutDown` is not a threshold alert",
        ),
        ("    CheckoutHighErrorRatioo: {for: 5m}\n", "did you mean `CheckoutHighErrorRatio`?"),
    ] {
        let d = tempfile::tempdir().unwrap();
        spec(d.path(), ov);
        let o = genmon(d.path(), &["check", "-f", "genmon.yaml"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{ov}: check passed");
        assert!(err.contains(want), "{ov}: want {want:?} in:\n{err}");
        assert!(err.contains("genmon.yaml:"), "{ov}: not located:\n{err}");
    }
}
