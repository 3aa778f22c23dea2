//! Reuse: a spec with its `include:`d files, built-in `packs:` and
//! `overrides:`, merged into one [`Spec`]. Every merged item remembers the
//! file (and its path in that file) it came from, so diagnostics point into
//! included files and packs, and `genmon explain` can say where each value
//! came from. Nothing here guesses: a name defined twice, an include that
//! matches nothing or leaves the spec's directory, an unknown pack or
//! setting, an override that matches nothing: each is a located error.

mod include;
mod overrides;
pub(crate) use overrides::set_alert_fields;
pub mod packs;

use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::{Diagnostic, did_you_mean};
use crate::spec::{Loaded, Positions, Source, Spec};

/// Codes of the problems found while composing.
pub mod codes {
    /// An include path is absolute, leaves the spec's directory, matches nothing, or forms a cycle.
    pub const INCLUDE: &str = "spec/include";
    /// A name (signal, dashboard uid, rule group, alert, receiver, folder) is defined in two places.
    pub const DUPLICATE: &str = "spec/duplicate";
    /// An unknown pack or pack setting, or a section a fragment may not set.
    pub const PACK: &str = "spec/pack";
    /// An override that matches nothing or does not apply.
    pub const OVERRIDE: &str = "spec/override";
}

/// One file of the composed spec: the main spec, an included file or a pack.
#[derive(Debug)]
pub struct Part {
    pub source: Arc<Source>,
    pub positions: Positions,
    /// The pack's name when this part is a built-in pack.
    pub pack: Option<String>,
    /// Which part included this one (the main spec for itself).
    pub by: usize,
    /// Whether the file sets `alertmanager.receivers` (else it has the defaults, not receivers of its own).
    pub receivers: bool,
}

/// A value set by a pack setting or an override: what it changed and where it is written.
#[derive(Debug, Clone)]
pub struct Applied {
    /// `alert`, `signal` or `dashboard`.
    pub kind: &'static str,
    /// The alert name, signal name or dashboard uid.
    pub name: String,
    /// The field changed (`for`, `thresholds.critical`, `disabled`, …).
    pub field: String,
    /// The new value, as written.
    pub value: String,
    /// Where: part index and spec path in that part.
    pub part: usize,
    pub path: String,
}

/// The merged spec and where each of its items came from.
#[derive(Debug)]
pub struct Composed {
    /// The merged spec with the main file's positions.
    pub loaded: Loaded,
    /// `parts[0]` is the main spec.
    pub parts: Vec<Part>,
    signals: HashMap<String, usize>,
    dashboards: Vec<(usize, usize)>,
    groups: Vec<(usize, usize)>,
    /// Per merged group: each alert's index in its file's group.
    alerts: Vec<Vec<usize>>,
    receivers: Vec<(usize, usize)>,
    /// Pack settings and overrides applied, in order.
    pub applied: Vec<Applied>,
}

/// Where an item of the merged spec is written: part and path in that part's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub part: usize,
    pub path: String,
}

/// Load `src` with everything it includes and the packs it uses, merge, and apply the overrides.
pub fn load(src: &Source) -> Result<Composed, Vec<Diagnostic>> {
    // The parts' copy of the source is made beside the parse.
    let (main, source) = crate::par::join(|| crate::spec::load(src), || Arc::new(src.clone()));
    let main = main?;
    let mut parts = vec![Part {
        source,
        positions: main.positions.clone(),
        pack: None,
        by: 0,
        receivers: true,
    }];
    let mut specs = vec![main.spec];
    let nothing_to_compose = specs[0].include.is_empty() && specs[0].packs.is_empty() && specs[0].overrides.is_empty();
    if nothing_to_compose {
        let spec = specs.pop().unwrap_or_else(|| unreachable!());
        return Ok(Composed::single(parts, spec));
    }
    let mut diags = Vec::new();
    include::load_includes(&mut parts, &mut specs, &mut diags);
    let mut applied = Vec::new();
    packs::load_packs(&mut parts, &mut specs, &mut applied, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let ovs: Vec<crate::spec::Overrides> = specs.iter_mut().map(|s| std::mem::take(&mut s.overrides)).collect();
    let mut c = merge(parts, specs, &mut diags);
    c.applied = applied;
    if diags.is_empty() {
        overrides::apply(&mut c, ovs, &mut diags);
    }
    if diags.is_empty() { Ok(c) } else { Err(diags) }
}

impl Composed {
    fn single(parts: Vec<Part>, spec: Spec) -> Composed {
        Composed {
            signals: spec.signals.keys().map(|k| (k.clone(), 0)).collect(),
            dashboards: (0..spec.dashboards.len()).map(|i| (0, i)).collect(),
            groups: (0..spec.rules.len()).map(|i| (0, i)).collect(),
            alerts: spec.rules.iter().map(|g| (0..g.alerts.len()).collect()).collect(),
            receivers: (0..spec.alertmanager.receivers.len()).map(|i| (0, i)).collect(),
            loaded: Loaded {
                spec,
                positions: parts[0].positions.clone(),
            },
            parts,
            applied: Vec::new(),
        }
    }

    /// A located diagnostic at `path` of part `part`.
    pub fn diag_at(parts: &[Part], part: usize, mut d: Diagnostic) -> Diagnostic {
        let p = &parts[part];
        d.pos = pos_of(&p.positions, &d.path);
        d.key = p.positions.key_of(&d.path);
        if part != 0 {
            d.source = Some(p.source.clone());
        }
        d
    }

    /// `file:line:col` of `path` in part `part` (or the file's name alone).
    pub fn locate(&self, part: usize, path: &str) -> String {
        let p = &self.parts[part];
        match pos_of(&p.positions, path) {
            Some(pos) => format!("{}:{}:{}", p.source.name, pos.line, pos.col),
            None => p.source.name.clone(),
        }
    }

    /// Where the item at `path` of the merged spec is written.
    pub fn origin(&self, path: &str) -> Option<Origin> {
        let index = |rest: &str| -> Option<(usize, usize)> {
            let end = rest.find(']')?;
            Some((rest[..end].parse().ok()?, end + 1))
        };
        if let Some(rest) = path.strip_prefix("signals.") {
            let name = &rest[..rest.find(['.', '[']).unwrap_or(rest.len())];
            return Some(Origin {
                part: *self.signals.get(name)?,
                path: path.to_string(),
            });
        }
        for (list, map) in [("dashboards", &self.dashboards), ("alertmanager.receivers", &self.receivers)] {
            if let Some(rest) = path.strip_prefix(list).and_then(|r| r.strip_prefix('[')) {
                let (i, n) = index(rest)?;
                let (part, j) = *map.get(i)?;
                return Some(Origin {
                    part,
                    path: format!("{list}[{j}]{}", &rest[n..]),
                });
            }
        }
        if let Some(rest) = path.strip_prefix("rules[") {
            let (i, n) = index(rest)?;
            let (part, j) = *self.groups.get(i)?;
            let rest = &rest[n..];
            if let Some(arest) = rest.strip_prefix(".alerts[") {
                let (k, m) = index(arest)?;
                let orig = *self.alerts.get(i)?.get(k)?;
                return Some(Origin {
                    part,
                    path: format!("rules[{j}].alerts[{orig}]{}", &arest[m..]),
                });
            }
            return Some(Origin {
                part,
                path: format!("rules[{j}]{rest}"),
            });
        }
        None
    }

    /// Point diagnostics about the merged spec at the files their items are written in.
    pub fn relocate(&self, diags: &mut [Diagnostic]) {
        if self.parts.len() == 1 && self.applied.is_empty() {
            return;
        }
        for d in diags {
            if d.source.is_some() {
                continue;
            }
            let Some(o) = self.origin(&d.path) else { continue };
            let p = &self.parts[o.part];
            d.pos = match &d.within {
                Some((r, text)) => p.positions.within(&o.path, r.clone(), text).or_else(|| p.positions.value(&o.path)),
                None => p.positions.value(&o.path),
            };
            d.key = p.positions.key_of(&o.path);
            d.path = o.path;
            if o.part != 0 {
                d.source = Some(p.source.clone());
            }
        }
    }

    /// The merged group and alert index of the alert `name`.
    pub fn find_alert(&self, name: &str) -> Option<(usize, usize)> {
        self.loaded
            .spec
            .rules
            .iter()
            .enumerate()
            .find_map(|(gi, g)| g.alerts.iter().position(|a| a.name == name).map(|ai| (gi, ai)))
    }

    /// Every alert name of the merged spec (for did-you-mean).
    pub fn alert_names(&self) -> Vec<&str> {
        self.loaded
            .spec
            .rules
            .iter()
            .flat_map(|g| g.alerts.iter().map(|a| a.name.as_str()))
            .collect()
    }
}

/// Where a problem at `path` is shown: a name's value (`rules[0].name`), else
/// the key of a mapping entry (`signals.cpu`, `overrides.alerts.X`), else the value.
fn pos_of(positions: &Positions, path: &str) -> Option<crate::diag::Pos> {
    if path.ends_with(".name") || path.ends_with(".uid") {
        return positions.value(path);
    }
    positions.key_of(path).or_else(|| positions.value(path))
}

/// "did you mean `x`?" or the list of names.
pub(crate) fn suggest<'a>(got: &str, names: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match did_you_mean(got, names.clone()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => {
            let mut all: Vec<&str> = names.into_iter().collect();
            all.sort_unstable();
            if all.is_empty() {
                "there are none".into()
            } else if all.len() > 12 {
                format!("known: {}, … ({} in all)", all[..12].join(", "), all.len())
            } else {
                format!("known: {}", all.join(", "))
            }
        }
    }
}

/// Merge the parts' specs into the main one; a name defined twice is an error naming both places.
fn merge(parts: Vec<Part>, mut specs: Vec<Spec>, diags: &mut Vec<Diagnostic>) -> Composed {
    let rest = specs.split_off(1);
    let main = specs.pop().unwrap_or_else(|| unreachable!());
    let mut c = Composed::single(parts, main);
    let mut first_alert: HashMap<String, (usize, String)> = HashMap::new();
    for (gi, g) in c.loaded.spec.rules.iter().enumerate() {
        for (ai, a) in g.alerts.iter().enumerate() {
            first_alert
                .entry(a.name.clone())
                .or_insert((0, format!("rules[{gi}].alerts[{ai}].name")));
        }
    }
    for (i, spec) in rest.into_iter().enumerate() {
        let part = i + 1;
        let twice = |c: &Composed, what: &str, name: &str, first: (usize, String), path: String| {
            let here = c.locate(part, &path);
            let there = c.locate(first.0, &first.1);
            Composed::diag_at(
                &c.parts,
                part,
                Diagnostic::error(
                    codes::DUPLICATE,
                    path,
                    format!("{what} `{name}` is defined twice: at {there} and at {here}"),
                ),
            )
            .help("rename one of them, or change the other with `overrides:` instead of defining it again")
        };
        for (name, s) in spec.signals {
            if let Some(&p) = c.signals.get(&name) {
                diags.push(twice(
                    &c,
                    "signal",
                    &name,
                    (p, format!("signals.{name}")),
                    format!("signals.{name}"),
                ));
                continue;
            }
            c.signals.insert(name.clone(), part);
            c.loaded.spec.signals.insert(name, s);
        }
        for (j, d) in spec.dashboards.into_iter().enumerate() {
            if let Some(k) = c.loaded.spec.dashboards.iter().position(|x| x.uid == d.uid) {
                let (p, pj) = c.dashboards[k];
                diags.push(twice(
                    &c,
                    "dashboard uid",
                    &d.uid,
                    (p, format!("dashboards[{pj}].uid")),
                    format!("dashboards[{j}].uid"),
                ));
                continue;
            }
            c.dashboards.push((part, j));
            c.loaded.spec.dashboards.push(d);
        }
        for (j, g) in spec.rules.into_iter().enumerate() {
            if let Some(k) = c.loaded.spec.rules.iter().position(|x| x.name == g.name) {
                let (p, pj) = c.groups[k];
                diags.push(twice(
                    &c,
                    "rule group",
                    &g.name,
                    (p, format!("rules[{pj}].name")),
                    format!("rules[{j}].name"),
                ));
                continue;
            }
            for (ai, a) in g.alerts.iter().enumerate() {
                let path = format!("rules[{j}].alerts[{ai}].name");
                match first_alert.get(&a.name) {
                    Some(first) => diags.push(twice(&c, "alert", &a.name, first.clone(), path)),
                    None => {
                        first_alert.insert(a.name.clone(), (part, path));
                    }
                }
            }
            c.groups.push((part, j));
            c.alerts.push((0..g.alerts.len()).collect());
            c.loaded.spec.rules.push(g);
        }
        // A fragment without `alertmanager.receivers` has the defaults, not receivers of its own.
        let receivers = if c.parts[part].receivers {
            spec.alertmanager.receivers
        } else {
            Vec::new()
        };
        for (j, r) in receivers.into_iter().enumerate() {
            if let Some(k) = c.loaded.spec.alertmanager.receivers.iter().position(|x| x.name == r.name) {
                let (p, pj) = c.receivers[k];
                diags.push(twice(
                    &c,
                    "receiver",
                    &r.name,
                    (p, format!("alertmanager.receivers[{pj}].name")),
                    format!("alertmanager.receivers[{j}].name"),
                ));
                continue;
            }
            c.receivers.push((part, j));
            c.loaded.spec.alertmanager.receivers.push(r);
        }
        for (key, title) in spec.grafana.folders {
            match c.loaded.spec.grafana.folders.get(&key) {
                Some(t) if *t != title => diags.push(Composed::diag_at(
                    &c.parts,
                    part,
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("grafana.folders.{key}"),
                        format!("folder `{key}` is titled `{t}` elsewhere and `{title}` here"),
                    )
                    .help("give the folder one title, or use another key"),
                )),
                Some(_) => {}
                None => {
                    c.loaded.spec.grafana.folders.insert(key, title);
                }
            }
        }
    }
    c.loaded.spec.include.clear();
    c.loaded.spec.packs.clear();
    c
}
