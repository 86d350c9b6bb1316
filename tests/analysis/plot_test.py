#!/usr/bin/env python3
"""migsim plot: every figure kind of a spec is drawn as PNG and PDF, and what it plots is the
results' own numbers (means per cell, the sorted values of a CDF, a record's rounds), checked
against an independent reading of results.jsonl; a bad spec exits 2 naming file, line and key.
Usage: plot_test.py MIGSIM WORK_DIR"""
import json
import math
import os
import shutil
import subprocess
import sys

migsim, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


SCENARIO = """name: plots
replications: 3
vm: {memory: 64MiB}
workload: {type: memtester, buffer: 16MiB, bandwidth: 64MiB/s}
link: {preset: gigabit}
host: {hypervisor: xen-legacy}
migration: {algorithm: pre_copy}
sweep:
  vm.memory: [64MiB, 128MiB]
  migration.algorithm: [pre_copy, post_copy]
figures:
  - {name: b, kind: bars, x: vm.memory, group: migration.algorithm, panels: [total_time_s, downtime_s]}
  - {name: l, kind: lines, x: vm.memory, group: migration.algorithm, panels: [bytes_total], error: sd}
  - {name: t, kind: timeline, select: {point_index: 2, replicate: 1}}
  - {name: c, kind: cdf, metric: downtime_s, group: migration.algorithm}
  - {name: h, kind: heatmap, x: vm.memory, y: migration.algorithm, metric: total_time_s}
  - {name: f, kind: bars, x: vm.memory, panels: [total_time_s], filter: {migration.algorithm: post_copy}}
"""
with open(os.path.join(work, "s.yaml"), "w") as f:
    f.write(SCENARIO)
subprocess.run([migsim, "run", "s.yaml", "--out", "r", "--quiet"], cwd=work, check=True)
p = subprocess.run([migsim, "plot", "r/results.jsonl", "--out", "figs", "--data", "d.json"],
                   cwd=work, capture_output=True, text=True)
check(p.returncode == 0, f"plot failed: {p.stderr}")
data = json.load(open(os.path.join(work, "d.json")))
for name in "blthcf":
    png = open(os.path.join(work, "figs", name + ".png"), "rb").read(8)
    pdf = open(os.path.join(work, "figs", name + ".pdf"), "rb").read(5)
    check(png == b"\x89PNG\r\n\x1a\n", f"{name}.png is not a PNG")
    check(pdf == b"%PDF-", f"{name}.pdf is not a PDF")

recs = [json.loads(l) for l in open(os.path.join(work, "r/results.jsonl"))]


def values(metric, **point):
    return [r["metrics"][metric] for r in recs
            if all(r["point"][k.replace("_", ".", 1)] == v for k, v in point.items())]


for row in data["b"]:
    vals = values(row["panel"], vm_memory=row["x"], migration_algorithm=row["group"])
    scale = 1000.0 if row["panel"] == "downtime_s" else 1.0  # declared display unit: ms
    check(row["n"] == 3, f"bars: {row} should average 3 replications")
    check(math.isclose(row["mean"], scale * sum(vals) / len(vals), rel_tol=1e-9),
          f"bars: mean {row}")
check(len(data["b"]) == 8, "bars: 2 panels x 2 sizes x 2 algorithms")
for row in data["l"]:
    vals = [v / 2**20 for v in values("bytes_total", vm_memory=row["x"],
                                      migration_algorithm=row["group"])]
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))
    check(math.isclose(row["error"], sd, rel_tol=1e-9), f"lines: sd error bar {row}")
rec = [r for r in recs if r["point_index"] == 2 and r["replicate"] == 1][0]
check(data["t"]["pages_sent"] == [x["pages_sent"] for x in rec["rounds"]], "timeline: rounds")
check(math.isclose(data["t"]["switch_s"], rec["metrics"]["switch_time_s"]), "timeline: switch")
for algo, vals in data["c"].items():
    mine = sorted(1000.0 * r["metrics"]["downtime_s"] for r in recs
                  if r["point"]["migration.algorithm"] == algo)
    check(all(math.isclose(a, b) for a, b in zip(vals, mine)) and len(vals) == 6,
          f"cdf: {algo}")
h = data["h"]
check(h["x"] == ["64MiB", "128MiB"], f"heatmap: sizes in size order, got {h['x']}")
for i, y in enumerate(h["y"]):
    for j, x in enumerate(h["x"]):
        vals = values("total_time_s", vm_memory=x, migration_algorithm=y)
        check(math.isclose(h["mean"][i][j], sum(vals) / len(vals)), f"heatmap cell {x} {y}")
check({row["group"] for row in data["f"]} == {"post_copy"}, "filter keeps post_copy only")
check(len(data["f"]) == 2, "filter: one algorithm, two sizes")

BAD = [
    ("figures:\n  - {kind: bars, x: vm.memory, panels: [total_time_s], colour: red}\n",
     "spec.yaml:2: figures[0].colour: unknown key for a bars figure"),
    ("figures:\n  - kind: pie\n", "spec.yaml:2: figures[0].kind: 'pie' is not one of"),
    ("figures:\n  - kind: heatmap\n    x: vm.memory\n", "spec.yaml:2: figures[0].metric: missing required key for a heatmap figure"),
    ("figures:\n  - {kind: cdf, metric: downtme_s}\n", "unknown metric(s) downtme_s"),
    ("figures:\n  - {kind: bars, x: vm.memroy, panels: [total_time_s]}\n",
     "'vm.memroy' is neither a sweep key"),
    ("figures:\n  - {kind: bars, x: vm.memory, panels: [total_time_s], error: stderr}\n",
     "figures[0].error: 'stderr' is not one of: ci95, sd, none"),
    ("figure:\n  - {kind: cdf, metric: downtime_s}\n", "spec.yaml:1: figures"),
    ("figures: [\n", "spec.yaml:2: malformed YAML"),
]
for text, says in BAD:
    with open(os.path.join(work, "spec.yaml"), "w") as f:
        f.write(text)
    p = subprocess.run([migsim, "plot", "r/results.jsonl", "--spec", "spec.yaml", "--out", "x"],
                       cwd=work, capture_output=True, text=True)
    check(p.returncode == 2, f"bad spec {text!r}: exit {p.returncode}")
    check(says in p.stderr, f"bad spec {text!r}: message {p.stderr!r} lacks {says!r}")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("plot: 6 figures of 5 kinds checked against results.jsonl; 8 bad specs exit 2")
