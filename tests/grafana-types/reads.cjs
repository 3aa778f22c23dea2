#!/usr/bin/env node
// Checks generated dashboards against what Grafana's own code *reads*, not
// only what its types allow (check.mjs). Types are not enough: a dashboard can
// type-check and still query nothing or draw nothing.
//
//   node tests/grafana-types/reads.cjs <dashboards-dir>
//
// Grafana's code is run where it can be run outside a browser (pinned in
// package.json, installed by `npm ci`):
//   * @grafana/prometheus 12.4.0 `PrometheusAnnotationSupport.prepareAnnotation`
//     and `processEvents` (annotations.cjs): how Grafana 12+ turns a saved
//     Prometheus annotation into a query and its results into events;
//   * @grafana/data 12.4.0: `renderLegendFormat`, `rangeUtil`,
//     `fieldColorModeRegistry`, `getValueFormatterIndex`.
// Where the reading code lives in Grafana's app (not on npm), it is read
// faithfully here, with its source named:
//   * Grafana 10-11 legacy annotation runner (`legacyRunner` in
//     standardAnnotationSupport.ts → PrometheusDatasource.annotationQuery in
//     @grafana/prometheus 11.6 datasource.mjs): `const { expr = "" } =
//     annotation; if (!expr) return []`, `annotation.step`, and
//     titleFormat/tagKeys/textFormat/useValueForTime from the annotation;
//   * timeseries thresholds are drawn only when `custom.thresholdsStyle.mode`
//     is not "off" (panel/timeseries, getThresholdsDrawHook);
//   * the stat sparkline needs a time field with many values: an instant
//     query has one value, so `graphMode: "area"` draws nothing (BigValue);
//   * the heatmap's y axis (bucket bounds) takes its unit from
//     `options.yAxis.unit` (panel/heatmap fields.ts), not from the cell unit.
//
// Exit 0 when every dashboard is read as intended, 1 with one line per
// problem, 2 on setup problems (node_modules missing).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const HERE = __dirname;
const NM = path.join(HERE, 'node_modules');
function die(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}
const dir = process.argv[2];
if (!dir || process.argv.length !== 3) die(2, 'usage: node reads.cjs <dashboards-dir>');
if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) die(2, `reads.cjs: not a directory: ${dir}`);
for (const p of ['@grafana/prometheus', '@grafana/data']) {
  if (!fs.existsSync(path.join(NM, p, 'package.json'))) {
    die(2, `reads.cjs: ${p} missing: run npm ci in tests/grafana-types (cd ${path.relative(process.cwd(), HERE) || '.'} && npm ci)`);
  }
}

// The annotation module imports its React query editor and @grafana/data
// the React hooks of react-use: neither is needed to read JSON.
// Node 20 has no `navigator` (21+ has); Grafana's date formats read its language.
globalThis.navigator ??= { language: 'en-US', languages: ['en-US'] };
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (/AnnotationQueryEditor/.test(request)) return { AnnotationQueryEditor: () => null };
  if (request === 'react-use') return {};
  return load.call(this, request, parent, isMain);
};
const data = require(path.join(NM, '@grafana/data'));
const { PrometheusAnnotationSupport } = require(path.join(NM, '@grafana/prometheus/dist/cjs/annotations.cjs'));
const { lastValueFrom } = require(path.join(NM, 'rxjs'));

function walk(d, out) {
  for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.json')) out.push(p);
  }
  return out;
}

const problems = [];
let nAnno = 0;
let nPanels = 0;

// A frame as the Prometheus backend returns it for ALERTS{...}: one series
// with every label of the alert, firing at two neighbouring steps.
function alertFrame() {
  const labels = { alertname: 'SomeAlert', alertstate: 'firing', severity: 'critical', instance: 'host:9100' };
  return {
    meta: { executedQueryString: 'Expr: ALERTS\nStep: 1m0s' },
    fields: [
      { name: 'Time', values: [60000, 120000] },
      { name: 'Value', labels, values: [1, 1] },
    ],
  };
}

async function checkAnnotation(file, i, anno) {
  if (anno.builtIn === 1 || anno?.datasource?.type !== 'prometheus') return;
  nAnno++;
  const where = `${file}: annotations.list[${i}] "${anno.name}"`;
  // Grafana 10-11: the legacy runner reads the annotation object itself.
  const { expr = '' } = anno;
  if (!expr) problems.push(`${where}: Grafana 10-11 read annotation.expr: empty, the annotation queries nothing`);
  const step = anno.step || '60s';
  try {
    data.rangeUtil.intervalToSeconds(step);
  } catch (e) {
    problems.push(`${where}: Grafana 10-11 cannot read annotation.step "${step}": ${e.message}`);
  }
  // Grafana 12+: prepareAnnotation, then a query of target.expr every target.interval.
  const support = PrometheusAnnotationSupport({});
  const prepared = support.prepareAnnotation(structuredClone(anno));
  if (!prepared.target || !prepared.target.expr) {
    problems.push(`${where}: Grafana 12+ prepareAnnotation gives an empty target.expr: the annotation queries nothing`);
  }
  // Both: events are titled and tagged from the annotation's own fields.
  const events = await lastValueFrom(support.processEvents(prepared, [alertFrame()]));
  if (events.length !== 1) {
    problems.push(`${where}: processEvents made ${events.length} events of one firing series, want 1`);
    return;
  }
  const ev = events[0];
  if (!ev.title || /\{\{/.test(ev.title)) problems.push(`${where}: event title "${ev.title}": titleFormat not read from the annotation`);
  if (!ev.tags.length) problems.push(`${where}: event has no tags: tagKeys not read from the annotation`);
}

const units = data.getValueFormatterIndex();
function checkPanel(file, p) {
  if (p.type === 'row') {
    (p.panels || []).forEach((c) => checkPanel(file, c));
    return;
  }
  nPanels++;
  const where = `${file}: panel id=${p.id} type=${p.type} "${p.title}"`;
  const d = p.fieldConfig?.defaults ?? {};
  const steps = d.thresholds?.steps ?? [];
  const stepped = steps.length > 1;
  if (p.type === 'text') return;
  for (const t of p.targets ?? []) {
    if (!t.expr) problems.push(`${where}: target ${t.refId}: empty expr`);
  }
  if (d.unit !== undefined && !units[d.unit] && !/^(suffix|prefix|si|count|currency|time|bool):/.test(d.unit)) {
    problems.push(`${where}: unit "${d.unit}" is not a Grafana unit id`);
  }
  if (['stat', 'gauge', 'bargauge'].includes(p.type) && stepped) {
    const mode = data.fieldColorModeRegistry.get(d.color?.mode ?? 'thresholds');
    if (mode.id !== 'thresholds') {
      problems.push(`${where}: ${steps.length - 1} threshold step(s) but color.mode "${mode.id}": Grafana colours by threshold only in "thresholds" mode`);
    }
  }
  if (p.type === 'timeseries' && stepped) {
    const style = d.custom?.thresholdsStyle?.mode ?? 'off';
    if (style === 'off') problems.push(`${where}: ${steps.length - 1} threshold step(s) but custom.thresholdsStyle.mode "off": not drawn`);
  }
  if (p.type === 'stat' && p.options?.graphMode === 'area') {
    const targets = p.targets ?? [];
    if (targets.length && targets.every((t) => t.instant && !t.range)) {
      problems.push(`${where}: graphMode "area" on instant queries: one value per series, no sparkline; use "none"`);
    }
  }
  if (p.type === 'heatmap' && (p.targets ?? []).some((t) => t.format === 'heatmap') && !p.options?.yAxis?.unit) {
    problems.push(`${where}: bucket heatmap without options.yAxis.unit: the le axis is unitless`);
  }
}

(async () => {
  const files = walk(path.resolve(dir), []);
  let n = 0;
  for (const f of files) {
    const json = JSON.parse(fs.readFileSync(f, 'utf8'));
    if (!json || typeof json !== 'object' || !('panels' in json)) continue;
    n++;
    const rel = path.relative(process.cwd(), f);
    for (const [i, a] of (json.annotations?.list ?? []).entries()) await checkAnnotation(rel, i, a);
    for (const p of json.panels) checkPanel(rel, p);
  }
  if (n === 0) die(1, `reads.cjs: no dashboards under ${dir}`);
  for (const p of problems) console.error(p);
  if (problems.length) die(1, `FAILED: ${problems.length} problem(s) in ${n} dashboards as Grafana reads them`);
  console.log(`${n} dashboards, ${nPanels} panels, ${nAnno} annotations read as Grafana reads them`);
})().catch((e) => die(1, `reads.cjs: ${e.stack || e}`));
