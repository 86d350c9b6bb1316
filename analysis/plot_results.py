#!/usr/bin/env python3
"""Figures from a migsim results.jsonl, one per scenario: a panel per metric the declaration
marks for figures (total time, data transferred, downtime, guest stall), against one sweep key
(default vm.memory), one bar per value of the other sweep keys (e.g. the algorithm), mean with
95% confidence interval over replications, like figures 4 and 5 of the three-stage-copy paper
(Song et al. 2014).

The panels, labels and units come from the metric declaration that `migsim run` writes into
manifest.json next to the results (its "metrics" list); nothing here names a metric.

Usage: plot_results.py RESULTS.jsonl [--out PREFIX] [--x KEY] [--manifest FILE]
Writes PREFIX-<scenario>.png and .pdf per scenario (PREFIX.png/.pdf when there is one scenario;
default PREFIX: figure next to the results file).
Needs matplotlib (Debian: python3-matplotlib; run with /usr/bin/python3).
"""
import argparse
import json
import math
import os
import re
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Student t 0.975 quantiles for 1..30 degrees of freedom; 1.96 beyond.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def panels_from(manifest_path, names=None):
    """(metric, scale, axis label) for each metric the declaration puts in figures, or for the
    metrics `names` (in that order) when given."""
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"{manifest_path}: cannot read the metric declaration ({e}); "
                 "give the manifest.json that migsim run wrote with --manifest")
    decls = manifest.get("metrics")
    if not isinstance(decls, list):
        sys.exit(f"{manifest_path}: no \"metrics\" list (written by an older migsim?)")
    def panel(d):
        show = d.get("show", {})
        unit = show.get("unit") or d.get("unit", "")
        return (d["name"], float(show.get("scale", 1.0)),
                f"{d['label']} ({unit})" if unit and unit != "count" else d["label"])

    if names:
        by_name = {d["name"]: d for d in decls}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            sys.exit(f"--metrics: unknown metric(s) {', '.join(unknown)}; declared: "
                     f"{', '.join(by_name)}")
        return [panel(by_name[n]) for n in names]
    panels = [panel(d) for d in decls if d.get("show", {}).get("figure")]
    if not panels:
        sys.exit(f"{manifest_path}: the declaration marks no metric for figures")
    return panels


def mean_ci(values):
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    t = T975[n - 2] if n - 1 <= len(T975) else 1.96
    return m, t * sd / math.sqrt(n)


def size_key(text):
    """Sorts '128MiB' < '1GiB' numerically; other values keep their order of appearance."""
    units = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
             "KB": 1e3, "MB": 1e6, "GB": 1e9}
    m = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]+)", text)
    if m and m.group(2) in units:
        return float(m.group(1)) * units[m.group(2)]
    return None


def load(path):
    records = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not a JSON record: {e}")
    if not records:
        sys.exit(f"{path}: no records")
    return records


def scenario_of(r):
    return r.get("scenario_name") or os.path.basename(r["scenario_file"])


def plot(records, panels, x_key, title, prefix):
    def x_of(r):
        return r["point"].get(x_key, r["scenario"]["vm"]["memory"] if x_key == "vm.memory" else "-")

    def series_of(r):
        rest = [f"{v}" for k, v in r["point"].items() if k != x_key]
        if rest:
            return " ".join(rest)
        # A batch record's scenario lists its VMs; a VM's record carries its own.
        if "vms" in r["scenario"]:
            return "batch"
        return r["scenario"]["migration"]["algorithm"]

    xs = list(OrderedDict.fromkeys(x_of(r) for r in records))
    if all(size_key(x) is not None for x in xs):
        xs.sort(key=size_key)
    series = list(OrderedDict.fromkeys(series_of(r) for r in records))
    groups = {}
    for r in records:
        groups.setdefault((series_of(r), x_of(r)), []).append(r["metrics"])

    cols = 2 if len(panels) == 4 else len(panels)
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.6 * rows), squeeze=False)
    axes = [ax for row in axes for ax in row]
    width = 0.8 / len(series)
    for ax, (metric, scale, label) in zip(axes, panels):
        for i, s in enumerate(series):
            means, errs, pos = [], [], []
            for j, x in enumerate(xs):
                # A metric the algorithm does not report (pre-copy's guest stall) has no bar.
                vals = [float(v[metric]) * scale for v in groups.get((s, x), [])
                        if v.get(metric) is not None]
                if not vals:
                    continue
                m, ci = mean_ci(vals)
                means.append(m)
                errs.append(ci)
                pos.append(j - 0.4 + width * (i + 0.5))
            ax.bar(pos, means, width, yerr=errs, capsize=3, label=s, color=f"C{i}")
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels(xs)
        ax.set_xlabel(x_key.replace("vm.memory", "VM memory"))
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    n = max(len(v) for v in groups.values())
    fig.suptitle(f"{title}: mean and 95% CI over {n} replications", fontsize=9)
    fig.tight_layout()
    fig.savefig(prefix + ".png", dpi=150)
    fig.savefig(prefix + ".pdf")
    print(f"figure: {prefix}.png {prefix}.pdf")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--out", help="output prefix (PREFIX[-scenario].png, .pdf)")
    ap.add_argument("--x", default="vm.memory", help="sweep key for the x axis")
    ap.add_argument("--metrics", help="comma-separated metrics for the panels "
                    "(default: those the declaration marks for figures)")
    ap.add_argument("--manifest", help="manifest.json with the metric declaration "
                    "(default: next to the results)")
    args = ap.parse_args()
    records = load(args.results)
    where = os.path.dirname(args.results) or "."
    prefix = args.out or os.path.join(where, "figure")
    panels = panels_from(args.manifest or os.path.join(where, "manifest.json"),
                         args.metrics.split(",") if args.metrics else None)
    # A scenario with several VMs writes a record per VM and a batch record; panels of batch
    # metrics (makespan_s, ...) plot the batch records, other panels the per-VM records.
    batch_metrics = {d["name"] for d in json.load(open(args.manifest or os.path.join(
        where, "manifest.json"))).get("metrics", []) if d.get("reported_by") == "batch"}
    want_batch = all(p[0] in batch_metrics for p in panels)
    records = [r for r in records if (r.get("record") == "batch") == want_batch]
    if not records:
        sys.exit(f"{args.results}: no {'batch' if want_batch else 'migration'} records for "
                 "these metrics")
    scenarios = OrderedDict()
    for r in records:
        scenarios.setdefault(scenario_of(r), []).append(r)
    for name, recs in scenarios.items():
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        plot(recs, panels, args.x, name,
             prefix if len(scenarios) == 1 else f"{prefix}-{safe}")


if __name__ == "__main__":
    main()
