# Render-benchmark baseline, written by the genmon team (copied from the team's shared
# bench folder, shared/bench/bench_foundation_sdk.py). Run by benches/render-vs-python.sh.
"""Benchmark: build N_DASH dashboards x N_PANEL timeseries panels with grafana-foundation-sdk (Python builders)
and write JSON files."""
import json, os, sys, time
from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable, DatasourceVariable
from grafana_foundation_sdk.builders.prometheus import Dataquery as PrometheusQuery
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

N_DASH = int(os.environ.get("N_DASH", 200)); N_PANEL = int(os.environ.get("N_PANEL", 20))
OUT = sys.argv[1] if len(sys.argv) > 1 else "out-foundation-sdk"
os.makedirs(OUT, exist_ok=True)
ds = DataSourceRef(type_val="prometheus", uid="${datasource}")
t0 = time.perf_counter(); total_bytes = 0
for d in range(N_DASH):
    b = (Dashboard(f"genmon bench {d}").uid(f"genmon-bench-{d:04d}").tags(["genmon"])
         .refresh("30s").time("now-1h", "now")
         .with_variable(DatasourceVariable("datasource").type("prometheus"))
         .with_variable(QueryVariable("instance").label("Instance").datasource(ds)
                        .query("label_values(up, instance)").include_all(True).multi(True)))
    for p in range(N_PANEL):
        b = b.with_panel(
            Timeseries().title(f"metric {p}").datasource(ds).unit("reqps").height(8).span(12)
            .with_target(PrometheusQuery()
                         .expr(f'rate(genmon_metric_{p}_total{{instance=~"$instance"}}[$__rate_interval])')
                         .legend_format("{{instance}}").ref_id("A")))
    s = json.dumps(b.build(), cls=JSONEncoder, sort_keys=True, indent=2)
    with open(os.path.join(OUT, f"dash-{d:04d}.json"), "w") as f:
        f.write(s)
    total_bytes += len(s)
dt = time.perf_counter() - t0
print(f"foundation-sdk: {N_DASH} dashboards x {N_PANEL} panels, {total_bytes/1e6:.1f} MB JSON, build+write {dt:.2f}s")
