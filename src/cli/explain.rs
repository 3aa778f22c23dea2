//! `genmon explain NAME`: an alert, signal or dashboard as it ends up after
//! includes, packs and overrides, and where each value came from.

use serde::Serialize;

use super::{Format, SpecArgs, exit};
use crate::compose::{Composed, suggest};
use crate::model::{Alert, Rule};
use crate::pipeline::Compiled;

/// Where a value is written.
#[derive(Debug, Serialize)]
struct From {
    /// `definition` (the item's own file), `default` (not written: genmon's default), `pack setting` or `override`.
    how: &'static str,
    /// `file:line:col`, when written somewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
}

#[derive(Debug, Serialize)]
struct Value1 {
    field: String,
    value: String,
    from: From,
}

#[derive(Debug, Serialize)]
struct Explained {
    kind: &'static str,
    name: String,
    /// `file:line:col` of the definition.
    defined_at: String,
    /// The built-in pack it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pack: Option<String>,
    /// The file that included it (or used its pack), when not the main spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    values: Vec<Value1>,
    /// What genmon generates from it (rules, as written to alerts/).
    #[serde(skip_serializing_if = "Option::is_none")]
    generated: Option<String>,
}

/// `genmon explain`.
pub fn explain(args: &SpecArgs, name: &str, color: bool) -> u8 {
    let src = match crate::spec::Source::read(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", args.file.display());
            return exit::USAGE;
        }
    };
    let (composed, compiled) = match crate::pipeline::compile_composed(
        &src,
        crate::model::Profile::Compose,
        args.strict,
        crate::pipeline::Deploy::Prometheus,
    ) {
        Ok(c) => c,
        Err(diags) => {
            super::render::print_diags(&src, &diags, args.format, color);
            return exit::INVALID;
        }
    };
    let found = match find(&composed, &compiled, name) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot show the generated rules: {e}\nhelp: this is a bug in genmon; please report it with the spec");
            return exit::USAGE;
        }
    };
    if found.is_empty() {
        let spec = &composed.loaded.spec;
        let names = composed
            .alert_names()
            .into_iter()
            .chain(spec.signals.keys().map(String::as_str))
            .chain(spec.dashboards.iter().map(|d| d.uid.as_str()));
        eprintln!(
            "error: no alert, signal or dashboard uid is named `{name}` in {}\nhelp: {}",
            src.name,
            suggest(name, names)
        );
        return exit::INVALID;
    }
    match args.format {
        Format::Json => super::out_json(&found),
        _ => super::out(&found.iter().map(human).collect::<Vec<_>>().join("\n")),
    }
    exit::OK
}

fn human(e: &Explained) -> String {
    let mut out = format!("{} {}\n  defined at {}", e.kind, e.name, e.defined_at);
    if let Some(v) = &e.via {
        out.push_str(&format!(", used by {v}"));
    }
    out.push('\n');
    let width = e.values.iter().map(|v| v.field.len()).max().unwrap_or(0);
    for v in &e.values {
        let from = match &v.from.at {
            Some(at) => format!("{} {at}", v.from.how),
            None => v.from.how.to_string(),
        };
        let value = if v.value.len() > 80 {
            format!("{}…", &v.value[..v.value.floor_char_boundary(79)])
        } else {
            v.value.clone()
        };
        out.push_str(&format!("  {:width$}  {value}\n      ← {from}\n", v.field));
    }
    if let Some(g) = &e.generated {
        out.push_str("  generated:\n");
        for l in g.lines() {
            out.push_str(&format!("    {l}\n"));
        }
    }
    out
}

/// Every alert, signal and dashboard called `name`; an error when the
/// generated rules cannot be written out (a bug in genmon).
fn find(c: &Composed, compiled: &Compiled, name: &str) -> Result<Vec<Explained>, String> {
    let spec = &c.loaded.spec;
    let mut out = Vec::new();
    if let Some((gi, ai)) = c.find_alert(name) {
        let path = format!("rules[{gi}].alerts[{ai}]");
        let group = &spec.rules[gi].name;
        let rules = generated_rules(compiled, group, name)?;
        let mut values = Vec::new();
        for r in &rules {
            let Rule::Alert(a) = r else { continue };
            if a.name != name {
                continue;
            }
            for (field, value) in fields(a) {
                let spec_field = match field.as_str() {
                    "labels.severity" => "severity".to_string(),
                    "annotations.runbook_url" => "runbook_url".to_string(),
                    "annotations.summary" => "summary".to_string(),
                    "annotations.description" => "description".to_string(),
                    "expr" => threshold_field(c, &path),
                    f => f.to_string(),
                };
                values.push(Value1 {
                    from: level_from(c, spec, gi, ai, &spec_field).unwrap_or_else(|| from(c, "alert", name, &spec_field, &path)),
                    field,
                    value,
                });
            }
        }
        let generated = if rules.is_empty() {
            None
        } else {
            Some(crate::render::rules::text(&rules)?)
        };
        out.push(explained(c, "alert", name, &path, values, generated));
    }
    if let Some(s) = spec.signals.get(name) {
        let path = format!("signals.{name}");
        let mut values = vec![("expr".to_string(), s.expr.clone())];
        for (f, v) in [
            ("title", &s.title),
            ("description", &s.description),
            ("unit", &s.unit),
            ("legend", &s.legend),
        ] {
            if let Some(v) = v {
                values.push((f.to_string(), v.clone()));
            }
        }
        for (level, v) in &s.thresholds {
            values.push((format!("thresholds.{level}"), v.to_string()));
        }
        out.push(explained(c, "signal", name, &path, sourced(c, "signal", name, &path, values), None));
    }
    if let Some(di) = spec.dashboards.iter().position(|d| d.uid == name) {
        let d = &spec.dashboards[di];
        let path = format!("dashboards[{di}]");
        let mut values = vec![("title".to_string(), d.title.clone())];
        if let Some(f) = &d.folder {
            values.push(("folder".into(), f.clone()));
        }
        let panels = d.panels.len() + d.rows.iter().map(|r| r.panels.len()).sum::<usize>();
        values.push(("panels".into(), panels.to_string()));
        out.push(explained(
            c,
            "dashboard",
            name,
            &path,
            sourced(c, "dashboard", name, &path, values),
            None,
        ));
    }
    Ok(out)
}

/// `(field, value)` pairs with where each came from.
fn sourced(c: &Composed, kind: &str, name: &str, path: &str, values: Vec<(String, String)>) -> Vec<Value1> {
    values
        .into_iter()
        .map(|(field, value)| Value1 {
            from: from(c, kind, name, &field, path),
            field,
            value,
        })
        .collect()
}

/// A threshold alert on a named level whose value a pack setting or override changed: that change.
fn level_from(c: &Composed, spec: &crate::spec::Spec, gi: usize, ai: usize, field: &str) -> Option<From> {
    let a = &spec.rules[gi].alerts[ai];
    let t = a.threshold()?;
    let crate::spec::ThresholdValue::Level(level) = &t.value else {
        return None;
    };
    if field != "threshold"
        || c.applied
            .iter()
            .any(|x| x.kind == "alert" && x.name == a.name && x.field == "threshold")
    {
        return None;
    }
    let field = format!("thresholds.{level}");
    let f = from(c, "signal", &t.signal, &field, &format!("signals.{}", t.signal));
    (f.how != "definition").then_some(f)
}

/// The spec field an alert's `expr` comes from: a threshold alert's value can be overridden.
fn threshold_field(c: &Composed, path: &str) -> String {
    let o = c.origin(path);
    let written = o.is_some_and(|o| c.parts[o.part].positions.value_exact(&format!("{}.threshold", o.path)).is_some());
    if written { "threshold".into() } else { "expr".into() }
}

fn explained(c: &Composed, kind: &'static str, name: &str, path: &str, values: Vec<Value1>, generated: Option<String>) -> Explained {
    let o = c.origin(path);
    let (part, opath) = o.map_or((0, path.to_string()), |o| (o.part, o.path));
    let p = &c.parts[part];
    Explained {
        kind,
        name: name.to_string(),
        defined_at: c.locate(part, &opath),
        pack: p.pack.clone(),
        via: (part != 0).then(|| c.parts[p.by].source.name.clone()),
        values,
        generated,
    }
}

/// Where the value of `field` of an item came from: the last pack setting or override of it, else its definition.
fn from(c: &Composed, kind: &str, name: &str, field: &str, path: &str) -> From {
    // A pack's `selector` setting rewrites its signals' expressions.
    let set = |a: &&crate::compose::Applied| a.field == field || (field == "expr" && a.field == "selector");
    if let Some(a) = c.applied.iter().rev().find(|a| a.kind == kind && a.name == name && set(a)) {
        let how = if a.path.starts_with("packs[") { "pack setting" } else { "override" };
        return From {
            how,
            at: Some(c.locate(a.part, &a.path)),
        };
    }
    if let Some(o) = c.origin(path).or(Some(crate::compose::Origin {
        part: 0,
        path: path.to_string(),
    })) {
        let written = format!("{}.{field}", o.path);
        let positions = &c.parts[o.part].positions;
        if positions.value_exact(&written).is_some() || positions.key_of(&written).is_some() {
            return From {
                how: "definition",
                at: Some(c.locate(o.part, &written)),
            };
        }
        // Written under another key (`for` of a kind's condition, labels under `labels`).
        if let Some(top) = field.split('.').next()
            && positions.key_of(&format!("{}.{top}", o.path)).is_some()
        {
            return From {
                how: "definition",
                at: Some(c.locate(o.part, &format!("{}.{top}", o.path))),
            };
        }
    }
    From { how: "default", at: None }
}

/// The rules genmon writes for spec alert `name` of group `group`, from the
/// model wherever they are written (an SLO's own group too): its alerting
/// rules, and every rule of a group made for it alone.
fn generated_rules<'a>(compiled: &'a Compiled, group: &str, name: &str) -> Result<Vec<&'a Rule>, String> {
    let facts = &compiled
        .model
        .facts
        .as_ref()
        .ok_or("the model was compiled without the facts that say where each alert came from")?
        .alerts;
    let ours = |r: &Rule| match r {
        Rule::Alert(a) => facts.get(&a.name).is_some_and(|f| f.spec_alert == name && f.group == group),
        Rule::Recording { .. } => false,
    };
    let mut out = Vec::new();
    for g in &compiled.model.groups {
        let alerts = g.rules.iter().filter(|r| matches!(r, Rule::Alert(_)));
        if alerts.clone().next().is_some() && alerts.clone().all(ours) {
            out.extend(&g.rules);
        } else {
            out.extend(g.rules.iter().filter(|r| ours(r)));
        }
    }
    Ok(out)
}

/// `field → value` of an alerting rule, as its rule file names them
/// (`for`, `labels.severity`, `annotations.summary`).
fn fields(a: &Alert) -> Vec<(String, String)> {
    let mut out = vec![("expr".to_string(), a.expr.clone())];
    if let Some(f) = &a.for_ {
        out.push(("for".into(), f.to_string()));
    }
    if let Some(k) = &a.keep_firing_for {
        out.push(("keep_firing_for".into(), k.to_string()));
    }
    out.extend(a.labels.iter().map(|(k, v)| (format!("labels.{k}"), v.clone())));
    out.extend(a.annotations.iter().map(|(k, v)| (format!("annotations.{k}"), v.clone())));
    out
}
