#!/usr/bin/env python3
"""Figures declared, not hard-coded: draws a migsim results.jsonl with a figure spec.

A spec (YAML or JSON) is a list of figures under `figures:`; each names its kind and what to put
where. The spec comes from --spec FILE, or else from the `figures:` list of each scenario file
the results came from (each list draws that file's records). Kinds:

  bars      x: sweep key; panels: [metrics]; group: sweep key (one bar per value; default the
            other sweep keys); error: ci95 | sd | none. Song et al.'s figures 4 and 5 (TSMC).
  lines     the same as lines with markers (numeric or ordered x).
  timeline  one migration's rounds: pages sent and pages dirtied per round, against time, the
            switch-over marked. select: {point_index: N, replicate: R} (default the first).
  cdf       metric: the empirical CDF of one metric over replications, one curve per group.
  heatmap   x, y: two sweep keys; metric: the mean of one metric per (x, y) cell, annotated.

Common keys: name (the output file stem), title, filter: {sweep key: value, ...},
width: single | double (3.5 in or 7.16 in: a two-column paper's column or page).
Figures are written as NAME.png (300 dpi) and NAME.pdf (TrueType fonts embedded), in shades of
grey with hatches, markers and line styles, so they read in grayscale print.

Usage: plot.py RESULTS.jsonl [--spec FILE] [--out DIR] [--manifest FILE] [--data FILE.json]
Exit 2 on a bad spec (file, line, key and what is allowed), as migsim does.
Needs matplotlib and PyYAML (Debian: python3-matplotlib, python3-yaml; run /usr/bin/python3).
"""
import argparse
import json
import math
import os
import sys
from collections import OrderedDict

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_results import load, mean_ci, panels_from, size_key  # noqa: E402

import matplotlib  # noqa: E402
import matplotlib.colors  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

KINDS = {
    "bars": {"x", "panels", "group", "error"},
    "lines": {"x", "panels", "group", "error"},
    "timeline": {"select"},
    "cdf": {"metric", "group"},
    "heatmap": {"x", "y", "metric"},
}
COMMON = {"kind", "name", "title", "filter", "width"}
REQUIRED = {"bars": {"x", "panels"}, "lines": {"x", "panels"}, "timeline": set(),
            "cdf": {"metric"}, "heatmap": {"x", "y", "metric"}}
GREYS = ["0.2", "0.85", "0.55", "1.0", "0.4", "0.7", "0.0"]
HATCHES = ["", "///", "...", "xx", "\\\\", "oo", "--"]
MARKERS = ["o", "s", "^", "D", "v", "x", "*"]
STYLES = ["-", "--", ":", "-."]


class SpecError(Exception):
    pass


# What each figure plots, by figure name (written with --data, for tests and for checking).
DATA = OrderedDict()


class LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping key (1-based) in `mapping.__lines__`-like side table."""


LINES = {}


def construct_mapping(loader, node, deep=False):
    mapping = OrderedDict()
    lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    LINES[id(mapping)] = (lines, node.start_mark.line + 1)
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)


def read_spec(path, in_scenario=False):
    """The figures of a spec file, or of a scenario file's `figures:` (None when it has none)."""
    try:
        with open(path) as f:
            doc = yaml.load(f, Loader=LineLoader)
    except OSError as e:
        raise SpecError(f"{path}: cannot open: {e.strerror}")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise SpecError(f"{path}:{mark.line + 1 if mark else 0}: malformed YAML: {e}")
    if in_scenario and (not isinstance(doc, dict) or "figures" not in doc):
        return None
    if not isinstance(doc, dict) or "figures" not in doc:
        raise SpecError(f"{path}:1: figures: a spec is a mapping with a `figures:` list")
    lines, _ = LINES.get(id(doc), ({}, 1))
    for k in doc:
        if k != "figures" and not in_scenario:
            raise SpecError(f"{path}:{lines.get(k, 1)}: {k}: unknown key; allowed: figures")
    figs = doc["figures"]
    if not isinstance(figs, list) or not figs:
        raise SpecError(f"{path}:{lines['figures']}: figures: expected a non-empty list of figures")
    out = []
    for i, f in enumerate(figs):
        where = f"figures[{i}]"
        if not isinstance(f, dict):
            raise SpecError(f"{path}:{lines['figures']}: {where}: expected a mapping")
        flines, fline = LINES.get(id(f), ({}, lines["figures"]))
        kind = f.get("kind")
        if kind not in KINDS:
            raise SpecError(f"{path}:{flines.get('kind', fline)}: {where}.kind: "
                            f"'{kind}' is not one of: {', '.join(KINDS)}")
        allowed = KINDS[kind] | COMMON
        for k in f:
            if k not in allowed:
                raise SpecError(f"{path}:{flines.get(k, fline)}: {where}.{k}: unknown key for a "
                                f"{kind} figure; allowed: {', '.join(sorted(allowed))}")
        for k in sorted(REQUIRED[kind]):
            if k not in f:
                raise SpecError(f"{path}:{fline}: {where}.{k}: missing required key for a "
                                f"{kind} figure")
        if "panels" in f and (not isinstance(f["panels"], list) or not f["panels"]):
            raise SpecError(f"{path}:{flines['panels']}: {where}.panels: expected a non-empty "
                            "list of metric names")
        if f.get("error", "ci95") not in ("ci95", "sd", "none"):
            raise SpecError(f"{path}:{flines['error']}: {where}.error: '{f['error']}' is not one "
                            "of: ci95, sd, none")
        if f.get("width", "single") not in ("single", "double"):
            raise SpecError(f"{path}:{flines['width']}: {where}.width: '{f['width']}' is not one "
                            "of: single, double")
        for k in ("filter", "select"):
            if k in f and not isinstance(f[k], dict):
                raise SpecError(f"{path}:{flines[k]}: {where}.{k}: expected a mapping")
        f = dict(f)
        f["_where"] = f"{path}:{fline}: {where}"
        f.setdefault("name", f"{kind}-{i}")
        out.append(f)
    return out


def paper_style(width):
    plt.rcParams.update({
        "font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7, "legend.fontsize": 6,
        "xtick.labelsize": 6, "ytick.labelsize": 6, "pdf.fonttype": 42, "ps.fonttype": 42,
        "axes.linewidth": 0.6, "lines.linewidth": 1.0, "hatch.linewidth": 0.5,
    })
    return 3.5 if width == "single" else 7.16


def value_of(r, key):
    """A sweep key's value in a record: the point's, else the resolved scenario's."""
    if key in r["point"]:
        return r["point"][key]
    node = r["scenario"]
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else json.dumps(node)


def ordered(values):
    vals = list(OrderedDict.fromkeys(values))
    if all(size_key(v) is not None for v in vals):
        return sorted(vals, key=size_key)
    try:
        return sorted(vals, key=float)
    except (TypeError, ValueError):
        return vals


def check_keys(fig, records, keys):
    for k in keys:
        if k and all(value_of(r, k) is None for r in records):
            raise SpecError(f"{fig['_where']}: '{k}' is neither a sweep key of these results nor "
                            "a key of their resolved scenario")


def group_of(fig, r, exclude):
    if fig.get("group"):
        return str(value_of(r, fig["group"]))
    rest = [str(v) for k, v in r["point"].items() if k not in exclude]
    return " ".join(rest) if rest else r["scenario"].get("migration", {}).get("algorithm", "-")


def save(fig_obj, out, name):
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, name)
    fig_obj.savefig(base + ".png", dpi=300)
    fig_obj.savefig(base + ".pdf")
    plt.close(fig_obj)
    print(f"figure: {base}.png {base}.pdf")


def draw_sweep(fig, records, decl, out):
    check_keys(fig, records, [fig["x"], fig.get("group")])
    width = paper_style(fig.get("width", "single"))
    panels = [decl(m) for m in fig["panels"]]
    xs = ordered(str(value_of(r, fig["x"])) for r in records)
    groups = ordered(group_of(fig, r, {fig["x"]}) for r in records) if fig.get("group") else \
        list(OrderedDict.fromkeys(group_of(fig, r, {fig["x"]}) for r in records))
    cells = {}
    for r in records:
        cells.setdefault((group_of(fig, r, {fig["x"]}), str(value_of(r, fig["x"]))), []).append(
            r["metrics"])
    cols = min(len(panels), 2 if fig.get("width") == "double" else 1)
    rows = math.ceil(len(panels) / cols)
    f, axes = plt.subplots(rows, cols, figsize=(width, 1.9 * rows + 0.3), squeeze=False)
    axes = [a for row in axes for a in row]
    bw = 0.8 / max(1, len(groups))
    for ax, (metric, scale, label) in zip(axes, panels):
        for i, g in enumerate(groups):
            pos, means, errs = [], [], []
            for j, x in enumerate(xs):
                vals = [float(m[metric]) * scale for m in cells.get((g, x), [])
                        if m.get(metric) is not None]
                if not vals:
                    continue
                mean, ci = mean_ci(vals)
                sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) \
                    if len(vals) > 1 else 0.0
                err = {"ci95": ci, "sd": sd, "none": 0.0}[fig.get("error", "ci95")]
                pos.append(j - 0.4 + bw * (i + 0.5) if fig["kind"] == "bars" else j)
                means.append(mean)
                errs.append(err)
                DATA.setdefault(fig["name"], []).append(
                    {"panel": metric, "group": g, "x": x, "mean": mean, "error": err,
                     "n": len(vals)})
            if not pos:
                continue
            if fig["kind"] == "bars":
                ax.bar(pos, means, bw, yerr=errs, capsize=1.5, label=g,
                       color=GREYS[i % len(GREYS)], hatch=HATCHES[i % len(HATCHES)],
                       edgecolor="black", linewidth=0.4, error_kw={"elinewidth": 0.6})
            else:
                ax.errorbar(pos, means, yerr=errs, label=g, color="black", capsize=1.5,
                            marker=MARKERS[i % len(MARKERS)], markersize=3,
                            linestyle=STYLES[i % len(STYLES)], markerfacecolor=GREYS[i % 4])
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels([os.path.basename(x) for x in xs],
                           rotation=20 if max(len(x) for x in xs) > 8 else 0, ha="right"
                           if max(len(x) for x in xs) > 8 else "center")
        ax.set_xlabel(fig["x"])
        ax.set_ylabel(label)
        ax.grid(axis="y", linewidth=0.3, color="0.8")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    top = 1.0 - (0.06 if fig.get("title") else 0.0)
    ncol = min(4, len(groups))
    rows_of_legend = math.ceil(len(groups) / ncol)
    f.legend(handles, labels, frameon=False, ncol=ncol, loc="upper center",
             bbox_to_anchor=(0.5, top))
    if fig.get("title"):
        f.suptitle(fig["title"])
    # Room at the top for the legend, above the panels.
    f.tight_layout(rect=(0, 0, 1, top - 0.07 * rows_of_legend / (rows * 0.6 + 0.4)))
    save(f, out, fig["name"])


def draw_timeline(fig, records, out):
    sel = fig.get("select", {})
    pick = [r for r in records if r.get("record") != "batch"
            and all(str(r.get(k)) == str(v) for k, v in sel.items())]
    if not pick:
        raise SpecError(f"{fig['_where']}.select: no record matches {dict(sel)}")
    r = pick[0]
    rounds = r.get("rounds") or []
    if not rounds:
        raise SpecError(f"{fig['_where']}: the record has no rounds (written without them?)")
    width = paper_style(fig.get("width", "single"))
    f, ax = plt.subplots(figsize=(width, 2.5))
    starts = [x["start_s"] for x in rounds]
    widths = [max(x["duration_s"], 1e-9) for x in rounds]
    sent = [x.get("pages_sent", 0) for x in rounds]
    dirtied = [x.get("pages_dirtied", 0) for x in rounds]
    ax.bar(starts, sent, widths, align="edge", color="0.8", edgecolor="black", linewidth=0.4,
           label="pages sent in the round")
    ax.plot([s + w / 2 for s, w in zip(starts, widths)], dirtied, color="black",
            linestyle="--", marker="o", markersize=2.5, label="pages dirtied during it")
    switch = r["metrics"].get("switch_time_s")
    if switch is None:
        finals = [x["start_s"] for x in rounds if x.get("final")]
        switch = finals[0] if finals else None
    if switch is not None:
        ax.axvline(switch, color="black", linewidth=0.8)
        ax.annotate("switch-over", (switch, 1), xycoords=("data", "axes fraction"),
                    xytext=(-3, -8), textcoords="offset points", fontsize=6, ha="right")
    DATA[fig["name"]] = {"start_s": starts, "pages_sent": sent, "pages_dirtied": dirtied,
                         "switch_s": switch}
    ax.set_yscale("symlog", linthresh=10)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("pages per round")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2)
    ax.set_title(fig.get("title") or
                 f"{r.get('scenario_name') or r['scenario_file']} point {r['point_index']} "
                 f"replicate {r['replicate']}: {r['scenario']['migration']['algorithm']}")
    f.tight_layout()
    save(f, out, fig["name"])


def draw_cdf(fig, records, decl, out):
    check_keys(fig, records, [fig.get("group")])
    metric, scale, label = decl(fig["metric"])
    width = paper_style(fig.get("width", "single"))
    series = OrderedDict()
    for r in records:
        v = r["metrics"].get(metric)
        if v is not None:
            series.setdefault(group_of(fig, r, set()), []).append(float(v) * scale)
    if not series:
        raise SpecError(f"{fig['_where']}: no record reports {metric}")
    f, ax = plt.subplots(figsize=(width, 2.2))
    for i, (g, vals) in enumerate(series.items()):
        vals.sort()
        ys = [(k + 1) / len(vals) for k in range(len(vals))]
        DATA.setdefault(fig["name"], {})[g] = vals
        ax.step(vals, ys, where="post", color="black", linestyle=STYLES[i % len(STYLES)],
                label=f"{g} (n={len(vals)})")
    ax.set_xlabel(label)
    ax.set_ylabel("fraction of runs")
    ax.set_ylim(0, 1.02)
    ax.grid(linewidth=0.3, color="0.8")
    ax.legend(frameon=False)
    if fig.get("title"):
        ax.set_title(fig["title"])
    f.tight_layout()
    save(f, out, fig["name"])


def draw_heatmap(fig, records, decl, out):
    check_keys(fig, records, [fig["x"], fig["y"]])
    metric, scale, label = decl(fig["metric"])
    width = paper_style(fig.get("width", "single"))
    xs = ordered(str(value_of(r, fig["x"])) for r in records)
    ys = ordered(str(value_of(r, fig["y"])) for r in records)
    cells = {}
    for r in records:
        v = r["metrics"].get(metric)
        if v is not None:
            cells.setdefault((str(value_of(r, fig["x"])), str(value_of(r, fig["y"]))), []).append(
                float(v) * scale)
    grid = [[mean_ci(cells[(x, y)])[0] if (x, y) in cells else float("nan") for x in xs]
            for y in ys]
    DATA[fig["name"]] = {"x": xs, "y": ys, "mean": grid}
    f, ax = plt.subplots(figsize=(width, 0.35 * len(ys) + 1.2))
    # A range over two orders of magnitude is shaded on a log scale.
    positive = [v for row in grid for v in row if not math.isnan(v) and v > 0]
    norm = matplotlib.colors.LogNorm() if positive and max(positive) > 100 * min(positive) \
        else None
    im = ax.imshow(grid, cmap="Greys", aspect="auto", origin="lower", norm=norm)
    finite = [v for row in grid for v in row if not math.isnan(v)]
    mid = (math.sqrt(min(positive) * max(positive)) if norm else
           (min(finite) + max(finite)) / 2) if finite else 0
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if not math.isnan(v):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=5,
                        color="white" if v > mid else "black")
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels(xs, rotation=30, ha="right")
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels(ys)
    ax.set_xlabel(fig["x"])
    ax.set_ylabel(fig["y"])
    f.colorbar(im, ax=ax, label=label)
    if fig.get("title"):
        ax.set_title(fig["title"])
    f.tight_layout()
    save(f, out, fig["name"])


def specs_in_scenarios(records, results):
    """The `figures:` of each scenario file the records came from (paths as the run had them:
    relative ones are tried from here, then from the run's working directory)."""
    base = None
    try:
        with open(os.path.join(os.path.dirname(results) or ".", "manifest.json")) as f:
            base = json.load(f).get("working_directory")
    except (OSError, json.JSONDecodeError):
        pass
    found = []
    for f in OrderedDict.fromkeys(r["scenario_file"] for r in records):
        path = f if os.path.exists(f) or not base else os.path.join(base, f)
        if not os.path.exists(path):
            continue
        figs = read_spec(path, in_scenario=True)
        if figs:
            found.append((figs, f))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--spec", help="figure spec (default: SCENARIO.figures.yaml beside each "
                    "scenario file)")
    ap.add_argument("--out", help="output directory (default: next to the results)")
    ap.add_argument("--manifest", help="manifest.json with the metric declaration")
    ap.add_argument("--data", help="also write what each figure plots as JSON (figure name -> "
                    "series) to this file")
    args = ap.parse_args()
    where = os.path.dirname(args.results) or "."
    out = args.out or where
    try:
        records = load(args.results)
    except SystemExit as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    manifest = args.manifest or os.path.join(where, "manifest.json")
    try:
        if args.spec:
            jobs = [(read_spec(args.spec), None)]
        else:
            jobs = specs_in_scenarios(records, args.results)
            if not jobs:
                raise SpecError(f"{args.results}: no --spec given and none of the scenario files "
                                "these results came from has a `figures:` list")
        for figs, scenario_file in jobs:
            recs = [r for r in records if scenario_file is None
                    or r["scenario_file"] == scenario_file]
            for fig in figs:
                sel = [r for r in recs if all(str(value_of(r, k)) == str(v)
                                              for k, v in fig.get("filter", {}).items())]
                if not sel:
                    raise SpecError(f"{fig['_where']}: no records (after filter)")

                def decl(name, fig=fig):
                    try:
                        return panels_from(manifest, [name])[0]
                    except SystemExit as e:
                        raise SpecError(f"{fig['_where']}: {e}")
                batch_only = all(r.get("record") == "batch" for r in sel)
                runs = sel if batch_only else [r for r in sel if r.get("record") != "batch"]
                if fig["kind"] in ("bars", "lines"):
                    draw_sweep(fig, runs, decl, out)
                elif fig["kind"] == "timeline":
                    draw_timeline(fig, runs, out)
                elif fig["kind"] == "cdf":
                    draw_cdf(fig, runs, decl, out)
                else:
                    draw_heatmap(fig, runs, decl, out)
    except SpecError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    if args.data:
        with open(args.data, "w") as f:
            json.dump(DATA, f, indent=1, allow_nan=True)


if __name__ == "__main__":
    main()
