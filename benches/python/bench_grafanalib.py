# Render-benchmark baseline, written by the genmon team (copied from the team's shared
# bench folder, shared/bench/bench_grafanalib.py). Run by benches/render-vs-python.sh.
"""Benchmark: build N_DASH dashboards x N_PANEL timeseries panels with grafanalib and write JSON files."""
import json, os, sys, time
from grafanalib.core import Dashboard, TimeSeries, Target, GridPos, Templating, Template, Time
from grafanalib._gen import DashboardEncoder

N_DASH = int(os.environ.get("N_DASH", 200)); N_PANEL = int(os.environ.get("N_PANEL", 20))
OUT = sys.argv[1] if len(sys.argv) > 1 else "out-grafanalib"
os.makedirs(OUT, exist_ok=True)
t0 = time.perf_counter(); total_bytes = 0
for d in range(N_DASH):
    panels = []
    for p in range(N_PANEL):
        panels.append(TimeSeries(
            title=f"metric {p}",
            dataSource={"type": "prometheus", "uid": "${datasource}"},
            targets=[Target(expr=f'rate(genmon_metric_{p}_total{{instance=~"$instance"}}[$__rate_interval])',
                            legendFormat="{{instance}}", refId="A",
                            datasource={"type": "prometheus", "uid": "${datasource}"})],
            unit="reqps",
            gridPos=GridPos(h=8, w=12, x=(p % 2) * 12, y=(p // 2) * 8),
        ))
    dash = Dashboard(
        title=f"genmon bench {d}", uid=f"genmon-bench-{d:04d}", tags=["genmon"],
        panels=panels, refresh="30s", time=Time("now-1h", "now"), schemaVersion=39,
        templating=Templating(list=[Template(name="instance", label="Instance",
                                             query='label_values(up, instance)',
                                             dataSource="${datasource}", includeAll=True, multi=True)]),
    ).auto_panel_ids()
    s = json.dumps(dash.to_json_data(), cls=DashboardEncoder, sort_keys=True, indent=2)
    with open(os.path.join(OUT, f"dash-{d:04d}.json"), "w") as f:
        f.write(s)
    total_bytes += len(s)
dt = time.perf_counter() - t0
print(f"grafanalib: {N_DASH} dashboards x {N_PANEL} panels, {total_bytes/1e6:.1f} MB JSON, build+write {dt:.2f}s")
