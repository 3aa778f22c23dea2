#!/usr/bin/env node
// Type-check generated Grafana dashboard JSON against Grafana's own published
// TypeScript types (@grafana/schema, pinned in package.json).
//
//   node tests/grafana-types/check.mjs <dashboards-dir> [--keep] [--verbose]
//
// --keep keeps the generated .ts files (tests/grafana-types/.gen/run-*);
// --verbose prints tsc's messages untruncated.
//
// For every *.json dashboard under <dashboards-dir> (recursively) a .ts file is
// generated in which
//   * the whole dashboard is an object literal typed Loose<Dashboard>
//     (Dashboard from '@grafana/schema'; Loose<> maps string enums to their
//     string values, see loose.ts), so unknown properties are errors;
//   * every panel (also those nested in collapsed rows) gets its `options`
//     checked against Loose<Options> and `fieldConfig.defaults.custom` against
//     Loose<FieldConfig> of that panel type's panelcfg module
//     (@grafana/schema/dist/esm/raw/composable/<type>/panelcfg/x/...);
//   * every row panel is checked on its own against Loose<RowPanel> (in the
//     dashboard's `Panel | RowPanel` union a row would otherwise be allowed
//     the properties of a plain Panel).
// Then a single `tsc --noEmit --strict` runs over all generated files and its
// errors are mapped back to dashboard file + panel id/title + JSON path.
//
// Exit codes: 0 all good; 1 type errors (or no dashboards / bad JSON);
// 2 setup problem (node_modules missing, bad usage).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA_DIR = path.join(HERE, 'node_modules', '@grafana', 'schema');
const TSC = path.join(HERE, 'node_modules', 'typescript', 'bin', 'tsc');

function die(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

// ---------- arguments ----------
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const verbose = args.includes('--verbose');
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length !== 1) die(2, 'usage: node check.mjs <dashboards-dir> [--keep] [--verbose]');
const inputDir = path.resolve(positional[0]);
if (!fs.existsSync(inputDir) || !fs.statSync(inputDir).isDirectory()) {
  die(2, `check.mjs: not a directory: ${positional[0]}`);
}
if (!fs.existsSync(path.join(SCHEMA_DIR, 'package.json')) || !fs.existsSync(TSC)) {
  die(2, `check.mjs: node_modules missing: run npm ci in tests/grafana-types (cd ${path.relative(process.cwd(), HERE) || '.'} && npm ci)`);
}
const schemaVersion = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'package.json'), 'utf8')).version;

// ---------- panel type -> panelcfg module ----------
// Found by scanning the installed package, so any panel plugin that ships a
// panelcfg (timeseries, stat, gauge, bargauge, table, heatmap, text, piechart,
// ...) is checked, whatever the file naming of the pinned version.
function findPanelModules() {
  const base = path.join(SCHEMA_DIR, 'dist', 'esm', 'raw', 'composable');
  const map = new Map();
  for (const type of fs.readdirSync(base)) {
    const dir = path.join(base, type, 'panelcfg', 'x');
    if (!fs.existsSync(dir)) continue;
    const dts = fs.readdirSync(dir).find((f) => /_types\.gen\.d\.ts$/.test(f));
    if (!dts) continue;
    const src = fs.readFileSync(path.join(dir, dts), 'utf8');
    // Imported by file path (relative to the generated files) rather than by
    // package subpath: package "exports" maps differ between versions.
    map.set(type, {
      file: path.join(dir, dts.replace(/\.d\.ts$/, '')),
      hasOptions: /export interface Options\b/.test(src),
      hasFieldConfig: /export interface FieldConfig\b/.test(src),
    });
  }
  return map;
}
const panelModules = findPanelModules();

// ---------- collect dashboards ----------
function walk(dir, out) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (ent.name === 'node_modules' || ent.name === '.gen') continue;
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile() && ent.name.endsWith('.json')) out.push(p);
  }
  return out;
}

const files = walk(inputDir, []);
const dashboards = [];
const preErrors = [];
let skipped = 0;
for (const f of files) {
  const rel = path.relative(process.cwd(), f) || f;
  let json;
  try {
    json = JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch (e) {
    preErrors.push(`${rel}: invalid JSON: ${e.message}`);
    continue;
  }
  // A classic dashboard has schemaVersion and/or panels; anything else under
  // the directory (alert rules, provisioning files, ...) is not ours to check.
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !('schemaVersion' in json || 'panels' in json)) {
    skipped++;
    continue;
  }
  dashboards.push({ file: f, rel, json });
}
if (preErrors.length) {
  for (const e of preErrors) console.error(e);
}
if (dashboards.length === 0) {
  die(1, `check.mjs: no dashboard JSON found under ${positional[0]}${skipped ? ` (${skipped} non-dashboard .json skipped)` : ''}`);
}

// ---------- TS literal emitter with line -> JSON path map ----------
// Emits JSON (which is valid TS literal syntax) one property / element per
// line, and records for every emitted line the JSON path it belongs to.
class Emitter {
  constructor() {
    this.lines = [''];
    this.paths = [''];
  }
  append(s) {
    this.lines[this.lines.length - 1] += s;
  }
  newline(indent, p) {
    this.lines.push('  '.repeat(indent));
    this.paths.push(p);
  }
  startLine(text, p) {
    // start a fresh top-level line
    if (this.lines[this.lines.length - 1] === '') {
      this.lines[this.lines.length - 1] = text;
      this.paths[this.paths.length - 1] = p;
    } else {
      this.lines.push(text);
      this.paths.push(p);
    }
  }
  value(v, p, indent) {
    if (Array.isArray(v)) {
      if (v.length === 0) return this.append('[]');
      this.append('[');
      v.forEach((x, i) => {
        const cp = `${p}[${i}]`;
        this.newline(indent + 1, cp);
        this.value(x, cp, indent + 1);
        if (i < v.length - 1) this.append(',');
      });
      this.newline(indent, p);
      this.append(']');
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) return this.append('{}');
      this.append('{');
      keys.forEach((k, i) => {
        const cp = /^[A-Za-z_$][\w$]*$/.test(k) ? (p ? `${p}.${k}` : k) : `${p}[${JSON.stringify(k)}]`;
        this.newline(indent + 1, cp);
        this.append(`${JSON.stringify(k)}: `);
        this.value(v[k], cp, indent + 1);
        if (i < keys.length - 1) this.append(',');
      });
      this.newline(indent, p);
      this.append('}');
    } else {
      this.append(JSON.stringify(v));
    }
  }
  text() {
    return this.lines.join('\n') + '\n';
  }
}

// ---------- generate .ts files ----------
const genRoot = path.join(HERE, '.gen');
fs.mkdirSync(genRoot, { recursive: true });
const genDir = fs.mkdtempSync(path.join(genRoot, 'run-'));
fs.copyFileSync(path.join(HERE, 'loose.ts'), path.join(genDir, 'loose.ts'));

const relSpec = (file) => {
  const r = path.relative(genDir, file).split(path.sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};
const warnings = [];
let panelCount = 0;
const genFiles = new Map(); // generated file name -> { dash, paths, panels: Map(jsonPathPrefix -> info) }

dashboards.forEach((dash, di) => {
  const em = new Emitter();
  const panels = new Map();
  const usedTypes = new Set();
  const checks = []; // [varName, typeExpr, value, jsonPath]

  const visitPanel = (panel, p) => {
    if (panel === null || typeof panel !== 'object' || Array.isArray(panel)) return;
    panelCount++;
    panels.set(p, { id: panel.id, title: panel.title, type: panel.type });
    const t = panel.type;
    if (t === 'row') {
      // Check the row on its own (nested panels are checked inside the dashboard literal).
      const rowOnly = { ...panel };
      if (Array.isArray(rowOnly.panels)) rowOnly.panels = [];
      checks.push([`row`, 'Loose<RowPanel>', rowOnly, p]);
      if (Array.isArray(panel.panels)) panel.panels.forEach((c, j) => visitPanel(c, `${p}.panels[${j}]`));
      return;
    }
    const mod = typeof t === 'string' ? panelModules.get(t) : undefined;
    if (!mod) {
      if (typeof t === 'string') warnings.push(`${dash.rel}: ${describe({ id: panel.id, title: panel.title, type: t })}: no panelcfg types for panel type "${t}" in @grafana/schema ${schemaVersion}; only dashboard-level checks applied`);
      return;
    }
    usedTypes.add(t);
    const ns = `P_${t.replace(/[^A-Za-z0-9_]/g, '_')}`;
    if ('options' in panel && mod.hasOptions) {
      checks.push(['options', `Loose<${ns}.Options>`, panel.options, `${p}.options`]);
    }
    const custom = panel.fieldConfig?.defaults?.custom;
    if (custom !== undefined) {
      // Panels without a FieldConfig in their panelcfg (stat, gauge, bargauge,
      // text) have no custom field options: anything there is unknown to Grafana.
      checks.push(['custom', mod.hasFieldConfig ? `Loose<${ns}.FieldConfig>` : 'NoCustomFieldConfig', custom, `${p}.fieldConfig.defaults.custom`]);
    }
  };
  if (Array.isArray(dash.json.panels)) dash.json.panels.forEach((pn, i) => visitPanel(pn, `panels[${i}]`));

  em.startLine(`// Generated by tests/grafana-types/check.mjs from ${dash.rel} -- do not edit.`, '');
  em.startLine(`import type { Dashboard, RowPanel, DataQuery, AnnotationQuery } from '@grafana/schema';`, '');
  em.startLine(`import type { Loose } from './loose';`, '');
  for (const t of [...usedTypes].sort()) {
    em.startLine(`import type * as P_${t.replace(/[^A-Za-z0-9_]/g, '_')} from '${relSpec(panelModules.get(t).file)}';`, '');
  }
  em.startLine(`type NoCustomFieldConfig = Record<string, never>;`, '');
  // Annotation targets are DataQuery extended by their datasource. @grafana/schema
  // has no Prometheus query type, so the Prometheus fields (from Grafana's
  // prometheus dataquery.gen.ts and its annotation editor) are spelled out here;
  // everything else stays Grafana's own type, excess properties included.
  em.startLine(`type PromAnnotationTarget = Loose<DataQuery> & { expr: string; step?: string; titleFormat?: string; textFormat?: string; tagKeys?: string; useValueForTime?: boolean; legendFormat?: string; interval?: string; range?: boolean; instant?: boolean; exemplar?: boolean; editorMode?: 'code' | 'builder'; format?: 'time_series' | 'table' | 'heatmap' };`, '');
  // The fields Grafana's Prometheus annotation runner reads from the annotation
  // itself (legacy runner in 10-11; prepareAnnotation in 12+ moves expr/step
  // into target and reads the rest here): not in @grafana/schema's type.
  em.startLine(`type PromAnnotationFields = { expr?: string; step?: string; titleFormat?: string; textFormat?: string; tagKeys?: string; useValueForTime?: boolean };`, '');
  em.startLine(`type Annotation = Omit<Loose<AnnotationQuery>, 'target'> & PromAnnotationFields & { target?: PromAnnotationTarget };`, '');
  em.startLine(`type CheckedDashboard = Omit<Loose<Dashboard>, 'annotations'> & { annotations: { list?: Annotation[] } };`, '');
  em.startLine(`export const dashboard: CheckedDashboard = `, '');
  em.value(dash.json, '', 0);
  em.append(';');
  checks.forEach(([kind, type, value, p], i) => {
    em.startLine(`export const ${kind}_${i}: ${type} = `, p);
    em.value(value, p, 0);
    em.append(';');
  });

  const name = `dash_${String(di).padStart(5, '0')}.ts`;
  fs.writeFileSync(path.join(genDir, name), em.text());
  genFiles.set(name, { dash, paths: em.paths, panels });
});

fs.writeFileSync(
  path.join(genDir, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        skipLibCheck: true,
        types: [],
        noErrorTruncation: true,
      },
      files: ['loose.ts', ...genFiles.keys()],
    },
    null,
    2,
  ),
);

// ---------- run tsc once ----------
const res = spawnSync(process.execPath, [TSC, '-p', path.join(genDir, 'tsconfig.json'), '--noEmit', '--strict', '--pretty', 'false'], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (res.error) die(2, `check.mjs: could not run tsc: ${res.error.message}`);

function describe(info) {
  const bits = [];
  if (info.id !== undefined) bits.push(`id=${info.id}`);
  if (info.type !== undefined) bits.push(`type=${info.type}`);
  if (info.title !== undefined) bits.push(`"${info.title}"`);
  return `panel ${bits.join(' ')}`;
}

function locate(gen, line) {
  const p = gen.paths[line - 1] ?? '';
  // longest panel path that prefixes p
  let best = null;
  for (const [pp, info] of gen.panels) {
    if ((p === pp || p.startsWith(pp + '.') || p.startsWith(pp + '[')) && (!best || pp.length > best[0].length)) best = [pp, info];
  }
  return { jsonPath: p || '(top level)', panel: best ? best[1] : null };
}

// tsc --pretty false: "file(line,col): error TSxxxx: message" followed by
// indented continuation lines.
const out = (res.stdout || '') + (res.stderr || '');
const errors = [];
for (let raw of out.split('\n')) {
  const m = raw.match(/^(.*)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/);
  if (m) {
    const base = path.basename(m[1]);
    const gen = genFiles.get(base);
    if (gen) {
      const { jsonPath, panel } = locate(gen, Number(m[2]));
      const where = panel ? `${describe(panel)} at ${jsonPath}` : jsonPath;
      // tsc prints the whole expected type; keep the head of it unless --verbose.
      const msg = !verbose && m[6].length > 400 ? `${m[6].slice(0, 400)}… (--verbose for the full type)` : m[6];
      errors.push({ head: `${gen.dash.rel}: ${where}: ${m[5]}: ${msg}`, more: [], gen: `${path.relative(process.cwd(), path.join(genDir, base))}:${m[2]}:${m[3]}` });
    } else {
      errors.push({ head: raw, more: [] });
    }
  } else if (raw.trim() && errors.length) {
    if (!verbose && raw.length > 400) raw = `${raw.slice(0, 400)}…`;
    errors[errors.length - 1].more.push(raw);
  } else if (raw.trim()) {
    errors.push({ head: raw, more: [] });
  }
}

for (const w of warnings) console.error(`warning: ${w}`);
for (const e of errors) {
  console.error(e.head);
  for (const l of e.more) console.error(l);
  if (e.gen && keep) console.error(`    (generated: ${e.gen})`);
}

const failed = res.status !== 0 || errors.length > 0 || preErrors.length > 0;
if (!keep) fs.rmSync(genDir, { recursive: true, force: true });
else console.error(`generated files kept in ${path.relative(process.cwd(), genDir)}`);

if (failed) {
  const n = errors.length + preErrors.length;
  console.error(`FAILED: ${n} error${n === 1 ? '' : 's'} in ${dashboards.length} dashboards (${panelCount} panels) checked against @grafana/schema ${schemaVersion}`);
  process.exit(1);
}
console.log(`${dashboards.length} dashboards, ${panelCount} panels type-checked against @grafana/schema ${schemaVersion}${skipped ? ` (${skipped} non-dashboard .json skipped)` : ''}`);
