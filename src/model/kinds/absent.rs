//! The `absent` kind: a scrape job down or without targets, or a selector matching nothing.

use std::collections::BTreeMap;

use super::*;
use crate::spec::AbsentAlert;

impl AlertKind for AbsentAlert {
    fn expand(&self, cx: &Cx, x: &mut Expansion) {
        let (ab, a) = (self, cx.a);
        let f = cx.for_secs(if ab.job.is_some() { 300 } else { 600 });
        let eval = f + 2 * STEP;
        let n = eval / STEP + 1;
        if let Some(job) = &ab.job {
            let sel = format!("up{{job=\"{job}\"}}");
            let host = BTreeMap::from([
                ("instance".to_string(), "test-host:9100".to_string()),
                ("job".to_string(), job.clone()),
            ]);
            let cases = vec![
                Case {
                    name: format!("{} fires when the target is down", a.name),
                    inputs: vec![(selector("up", &host), repeat(0.0, n))],
                    eval,
                    fires: vec![(host.clone(), 0.0)],
                    raw: Raw::NONE,
                },
                Case {
                    name: format!("{} fires when the job has no targets", a.name),
                    inputs: vec![(
                        selector("up", &BTreeMap::from([("job".to_string(), "some-other-job".to_string())])),
                        repeat(1.0, n),
                    )],
                    eval,
                    fires: vec![(BTreeMap::from([("job".to_string(), job.clone())]), 1.0)],
                    raw: Raw::NONE,
                },
                Case {
                    name: format!("{} stays quiet while the target is up", a.name),
                    inputs: vec![(selector("up", &host), repeat(1.0, n))],
                    eval,
                    fires: vec![],
                    raw: Raw::NONE,
                },
            ];
            x.drafts.push(cx.draft(
            format!("{sel} == 0 or absent({sel})"),
            300,
            format!("Scrape target of job {job} is down{{{{ with $labels.instance }}}} ({{{{ . }}}}){{{{ end }}}}"),
            format!("Prometheus has not been able to scrape job `{job}` for {} (or the job has no targets at all). Its metrics, dashboards and alerts are blind until it is back: check that the process runs and that its port answers.", dur(f)),
            LinkKey::Metric("up".into()),
            cases,
        ));
        } else if let Some(sel) = &ab.selector {
            let mut cases = Vec::new();
            if let Ok(promql_parser::parser::Expr::VectorSelector(vs)) = crate::promql::parse(sel).as_deref() {
                let eq: BTreeMap<String, String> = vs
                    .matchers
                    .matchers
                    .iter()
                    .filter(|m| matches!(m.op, promql_parser::label::MatchOp::Equal) && m.name != "__name__")
                    .map(|m| (m.name.clone(), m.value.clone()))
                    .collect();
                let all_eq = vs
                    .matchers
                    .matchers
                    .iter()
                    .all(|m| matches!(m.op, promql_parser::label::MatchOp::Equal));
                if let Some(name) = &vs.name {
                    cases.push(Case {
                        name: format!("{} fires when no series match", a.name),
                        inputs: vec![(selector("genmon_test_unrelated", &BTreeMap::new()), repeat(1.0, n))],
                        eval,
                        fires: vec![(eq.clone(), 1.0)],
                        raw: Raw::NONE,
                    });
                    if all_eq {
                        cases.push(Case {
                            name: format!("{} stays quiet while the series exists", a.name),
                            inputs: vec![(selector(name, &eq), repeat(1.0, n))],
                            eval,
                            fires: vec![],
                            raw: Raw::NONE,
                        });
                    }
                }
            }
            x.drafts.push(cx.draft(
                format!("absent({sel})"),
                600,
                format!("No series match {sel}"),
                format!(
                    "No series have matched `{sel}` for {}. The exporter may be down, renamed the metric, or the label values changed.",
                    dur(f)
                ),
                match crate::promql::parse(sel).as_deref() {
                    Ok(promql_parser::parser::Expr::VectorSelector(vs)) => vs.name.clone().map_or(LinkKey::None, LinkKey::Metric),
                    _ => LinkKey::None,
                },
                cases,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::LinkKey;
    use super::super::testing::*;

    #[test]
    fn a_job_is_down_or_has_no_targets() {
        let x = expand_yaml("{name: NodeDown, absent: {job: node}}");
        let d = &x.drafts[0];
        assert_eq!(d.expr, "up{job=\"node\"} == 0 or absent(up{job=\"node\"})");
        assert!(matches!(&d.link, LinkKey::Metric(m) if m == "up"));
        assert_eq!(d.cases.len(), 3);
        cases_agree_with_names(&x);
    }

    #[test]
    fn a_selector_matches_nothing() {
        let x = expand_yaml("{name: NoProbe, absent: {selector: 'probe_success{probe=\"api\"}'}}");
        assert_eq!(x.drafts[0].expr, "absent(probe_success{probe=\"api\"})");
        assert_eq!(x.drafts[0].for_.as_ref().map(|f| f.secs()), Some(600));
        assert_eq!(x.drafts[0].cases[0].fires[0].0.get("probe").map(String::as_str), Some("api"));
        cases_agree_with_names(&x);
    }
}
