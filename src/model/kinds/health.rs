//! The `health` kind: a weighted score of components, 0 (all bad) to 100 (all good).

use std::collections::BTreeMap;

use super::*;
use crate::spec::HealthAlert;

impl AlertKind for HealthAlert {
    fn expand(&self, cx: &Cx, x: &mut Expansion) {
        let (h, spec, a) = (self, cx.spec, cx.a);
        let by = h.by.join(", ");
        let record = crate::conventions::health_record(&h.by, &h.name);
        // Each component tagged with its index, so `or` keeps them all; a component
        // without data drops out of both sums: the weights renormalise over the rest.
        let tag = |i: usize, e: String| {
            format!(
                "label_replace({e}, \"{}\", \"{i}\", \"\", \"\")",
                crate::conventions::LABEL_HEALTH_COMPONENT
            )
        };
        let mut terms = Vec::new();
        let mut weights = Vec::new();
        for (i, c) in h.components.iter().enumerate() {
            let rec = signal_record(&c.signal);
            let span = c.bad - c.good;
            let norm = format!(
                "clamp(({rec} - {}) / {}, 0, 1)",
                fmt_num(c.good),
                fmt_num(if span == 0.0 { 1.0 } else { span })
            );
            let w = fmt_num(c.weight);
            terms.push(tag(i, format!("{w} * max by ({by}) ({norm})")));
            weights.push(tag(i, format!("0 * max by ({by}) ({rec}) + {w}")));
        }
        for c in &h.components {
            if !x.signals.contains(&c.signal) {
                x.signals.push(c.signal.clone());
            }
        }
        x.low_is_bad.push((record.clone(), Some(h.below)));
        x.recs.push(Rec {
            record: record.clone(),
            expr: format!(
                "clamp(100 * (1 - sum by ({by}) ({}) / sum by ({by}) ({})), 0, 100)",
                terms.join(" or "),
                weights.join(" or ")
            ),
            labels: BTreeMap::new(),
        });
        let f = cx.for_secs(900);
        let eval = f + spec.prometheus.rule_rate_window.secs() + 2 * STEP;
        let n = eval / STEP + 1;
        let labels: BTreeMap<String, String> = h.by.iter().map(|l| (l.clone(), format!("test-{l}"))).collect();
        let mut bad_inputs = Vec::new();
        let mut good_inputs = Vec::new();
        let (mut bad_values, mut good_values) = (Vec::new(), Vec::new());
        let mut seen = Vec::new();
        for c in &h.components {
            if seen.contains(&&c.signal) {
                continue;
            }
            seen.push(&c.signal);
            // Past the ends, so each component clamps to exactly 1 (0).
            let span = c.bad - c.good;
            let (bad, good) = (r6(c.bad + span), r6(c.good - span));
            bad_inputs.push((selector(&signal_record(&c.signal), &labels), repeat(bad, n)));
            good_inputs.push((selector(&signal_record(&c.signal), &labels), repeat(good, n)));
            bad_values.push((c.signal.as_str(), bad));
            good_values.push((c.signal.as_str(), good));
        }
        // The same from raw series, when every component's signal can be inverted
        // and no two components read the same series.
        let shared = std::sync::Arc::new(labels.clone());
        let raw_of = |values: &[(&str, f64)]| -> Raw {
            Raw::constant(
                values.iter().map(|(sig, v)| (sig.to_string(), shared.clone(), *v)).collect(),
                n,
                true,
            )
        };
        // All components at 1: both sums add the same weights, the score is 0.
        let mut cases = Vec::new();
        if 0.0 < h.below {
            let distinct = bad_inputs.len();
            cases.push(Case {
                name: format!("{} fires when every component is bad", a.name),
                inputs: bad_inputs.clone(),
                eval,
                fires: vec![(labels.clone(), 0.0)],
                raw: raw_of(&bad_values),
            });
            if distinct > 1 {
                cases.push(Case {
                    name: format!("{} fires when only its first signal has data, and it is bad", a.name),
                    inputs: bad_inputs[..1].to_vec(),
                    eval,
                    fires: vec![(labels.clone(), 0.0)],
                    raw: raw_of(&bad_values[..1]),
                });
            }
        }
        cases.push(Case {
            name: format!("{} stays quiet when every component is good", a.name),
            inputs: good_inputs,
            eval,
            fires: vec![],
            raw: raw_of(&good_values),
        });
        let parts: Vec<String> = h.components.iter().map(|c| title(spec, &c.signal)).collect();
        let wh = if h.by.is_empty() {
            String::new()
        } else {
            format!(
                " on {}",
                h.by.iter().map(|l| format!("{{{{ $labels.{l} }}}}")).collect::<Vec<_>>().join(" ")
            )
        };
        x.drafts.push(cx.draft(
        format!("{record} < {}", fmt_num(h.below)),
        900,
        format!("Health score{wh} is {{{{ $value | humanize }}}}/100"),
        format!(
            "The {} health score (100 = all good, 0 = all bad) has been below {} for {}. It combines: {}. Open the linked dashboard and look for the component at or past its bad level.",
            h.name,
            fmt_num(h.below),
            dur(f),
            parts.join(", ")
        ),
        LinkKey::Expr(record),
        cases,
    ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn weights_renormalise_over_present_components() {
        let x =
            expand_yaml("{name: Db, health: {name: db, components: [{signal: cpu, bad: 1}, {signal: lat, good: 0.1, bad: 1, weight: 3}]}}");
        assert_eq!(x.recs[0].record, "instance:db:score");
        let e = &x.recs[0].expr;
        assert!(
            e.contains(
                r#"label_replace(3 * max by (instance) (clamp((signal:lat:value - 0.1) / 0.9, 0, 1)), "genmon_component", "1", "", "")"#
            ),
            "{e}"
        );
        assert!(
            e.contains(
                r#"/ sum by (instance) (label_replace(0 * max by (instance) (signal:cpu:value) + 1, "genmon_component", "0", "", "") or "#
            ),
            "{e}"
        );
        assert_eq!(x.low_is_bad, [("instance:db:score".to_string(), Some(50.0))]);
        assert_eq!(x.drafts[0].cases.len(), 3, "all bad, only the first present, all good");
        cases_agree_with_names(&x);
    }
}
