#!/usr/bin/env python3
"""Cross-check migsim against SimGrid's VM live-migration model.

Runs a migsim scenario (a topology and a `vms:` list of pre-copy migrations), then, for
each sweep point and replicate, builds the same platform and migrations for SimGrid 3.32
from the resolved scenario migsim wrote into its batch record, runs them with SimGrid's
plain max-min network model (CM02 without reverse-path ACK traffic or correction factors;
flows weighted by route latency, as SimGrid always does), and prints both side by side.

Optional: needs Debian's libsimgrid-dev (apt-get install libsimgrid-dev); migsim does
not depend on it. Exits 0 when every compared quantity is within --tolerance, 1 when
one is not, 2 on a scenario SimGrid's model cannot express, 77 when SimGrid is absent.

usage: tools/simgrid/crosscheck.py [SCENARIO] [--migsim PATH] [--work DIR]
                                   [--tolerance PERCENT] [--json FILE]
"""

import argparse
import heapq
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SKIP = 77

# SimGrid's live-migration plugin stops pre-copy when what is left fits in this long at
# the measured bandwidth (DirtyPageTrackingExt::max_downtime_, not settable).
SIMGRID_MAX_DOWNTIME_S = 0.03


class Unsupported(Exception):
    """The scenario uses something SimGrid's migration model has no counterpart for."""


# ---- migsim's quantity strings ("4GiB", "941.5Mbit/s", "50us") ---------------------------

_SIZE = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
         "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_RATE = {"bit/s": 1 / 8, "kbit/s": 1e3 / 8, "Kbit/s": 1e3 / 8, "Mbit/s": 1e6 / 8,
         "Gbit/s": 1e9 / 8, "Tbit/s": 1e12 / 8}
_RATE.update({unit + "/s": factor for unit, factor in _SIZE.items()})
_TIME = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def _quantity(text, units, what):
    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([A-Za-z/]+)\s*", str(text))
    if not match or match.group(2) not in units:
        raise ValueError(f"cannot read {what} '{text}'")
    return float(match.group(1)) * units[match.group(2)]


def size_bytes(text):
    return _quantity(text, _SIZE, "a size")


def rate_bytes_per_s(text):
    return _quantity(text, _RATE, "a data rate")


def seconds(text):
    return _quantity(text, _TIME, "a duration")


# ---- translating a resolved migsim scenario ----------------------------------------------

def routes(topology):
    """Shortest paths by latency, fewest hops among equals (migsim's rule), as lists of
    (link index, direction): UP when the link is crossed from its first to its second end."""
    adjacent = {}
    for index, link in enumerate(topology["links"]):
        a, b = link["between"]
        latency = seconds(link["latency"])
        adjacent.setdefault(a, []).append((b, index, "UP", latency))
        adjacent.setdefault(b, []).append((a, index, "DOWN", latency))

    def path(src, dst):
        queue = [(0.0, 0, src, [])]
        done = set()
        while queue:
            latency, hops, node, hops_so_far = heapq.heappop(queue)
            if node == dst:
                return hops_so_far
            if node in done:
                continue
            done.add(node)
            for nxt, index, direction, link_latency in adjacent.get(node, []):
                if nxt not in done:
                    heapq.heappush(queue, (latency + link_latency, hops + 1, nxt,
                                           hops_so_far + [(index, direction)]))
        raise Unsupported(f"no route from {src} to {dst}")

    return path


def check_vm(item, index):
    """Raise Unsupported unless SimGrid's migration model can express this VM."""
    where = f"vms[{index}]"
    migration, host, workload = item["migration"], item["host"], item["workload"]
    if migration["algorithm"] != "pre_copy":
        raise Unsupported(f"{where}: SimGrid models pre-copy only, not {migration['algorithm']}")
    limit = seconds(migration.get("downtime_limit", "0s"))
    if abs(limit - SIMGRID_MAX_DOWNTIME_S) > 1e-9:
        raise Unsupported(f"{where}: migration.downtime_limit must be 30ms, SimGrid's fixed max_downtime")
    for key in ("max_rounds", "min_dirty_pages", "max_factor"):
        if float(migration.get(key, 0)) != 0:
            raise Unsupported(f"{where}: migration.{key} must be 0: SimGrid's only stop rule is the downtime limit")
    if rate_bytes_per_s(migration.get("max_bandwidth", "0bit/s")) != 0:
        raise Unsupported(f"{where}: migration.max_bandwidth must be 0 (the comparison lets the links decide)")
    if int(migration.get("streams", 1)) != 1:
        raise Unsupported(f"{where}: SimGrid sends a migration as one flow: migration.streams must be 1")
    if migration.get("compression", {}).get("codec", "none") != "none":
        raise Unsupported(f"{where}: SimGrid does not compress pages")
    if workload["type"] not in ("idle", "sequential"):
        raise Unsupported(f"{where}: workload {workload['type']}: SimGrid's dirty-page model is a constant "
                          "rate capped at a working set, which migsim's sequential (or idle) workload matches")
    if "background" in item:
        raise Unsupported(f"{where}: a background workload has no SimGrid counterpart")
    if workload["type"] == "sequential" and rate_bytes_per_s(workload.get("read_rate", "0bit/s")) != 0:
        raise Unsupported(f"{where}: reads have no SimGrid counterpart")
    extras = []
    for key in ("suspend_time", "resume_time", "log_fetch_base", "log_fetch_per_gib"):
        if seconds(host.get(key, "0s")) != 0:
            extras.append(f"host.{key}")
    if size_bytes(host.get("state_size", "0B")) != 0:
        extras.append("host.state_size")
    for key in ("page_header_bytes", "batch_header_bytes"):
        if int(migration.get(key, 0)) != 0:
            extras.append(f"migration.{key}")
    return extras


def simgrid_inputs(batch_scenario):
    """The SimGrid platform (XML) and migration list for one resolved migsim batch scenario."""
    topology = batch_scenario.get("topology")
    if topology is None:
        raise Unsupported("the scenario needs a topology (the comparison names links)")
    if batch_scenario.get("cross_traffic"):
        raise Unsupported("cross_traffic has no counterpart in SimGrid's migration plugin")
    for link in topology["links"]:
        if float(link.get("loss", 0)) != 0:
            raise Unsupported(f"link {link['between']}: loss has no counterpart in SimGrid's CM02 model")
    tcp = batch_scenario.get("tcp", {})
    if tcp.get("sharing", "max_min") != "rtt_weighted":
        raise Unsupported("tcp.sharing must be rtt_weighted: SimGrid weighs each flow's share by the "
                          "inverse of its route latency")
    extras = set()
    if tcp.get("slow_start", True):
        extras.add("tcp.slow_start")
    path = routes(topology)
    items = batch_scenario["vms"]
    hosts = topology["hosts"]
    lines = [f"max_concurrent {int(batch_scenario.get('schedule', {}).get('max_concurrent', 0))}"]
    pairs = set()
    for index, item in enumerate(items):
        extras.update(check_vm(item, index))
        memory = size_bytes(item["vm"]["memory"])
        workload = item["workload"]
        dirty, working_set = 0.0, 0.0
        if workload["type"] == "sequential":
            dirty = rate_bytes_per_s(workload["dirty_rate"])
            working_set = size_bytes(workload.get("size", "0B")) or memory - size_bytes(workload.get("offset", "0B"))
        src, dst = item["source"], item["destination"]
        pairs.update({(src, dst), (dst, src)})
        lines.append(f"vm vm{index} {src} {dst} {memory:.0f} {dirty:.6f} {working_set:.0f}")

    xml = ["<?xml version='1.0'?>",
           '<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">',
           '<platform version="4.1">',
           '  <zone id="world" routing="Full">']
    for host in hosts:
        # one core per VM that may run there, so every guest's vCPU runs at full speed
        xml.append(f'    <host id="{host}" speed="1Gf" core="{len(items) + 1}"/>')
    for index, link in enumerate(topology["links"]):
        goodput = rate_bytes_per_s(link["bandwidth"]) * float(link.get("efficiency", 1.0))
        xml.append(f'    <link id="l{index}" bandwidth="{goodput:.6f}Bps" '
                   f'latency="{seconds(link["latency"]):.9f}s" sharing_policy="SPLITDUPLEX"/>')
    for src, dst in sorted(pairs):
        hops = "".join(f'<link_ctn id="l{i}" direction="{d}"/>' for i, d in path(src, dst))
        xml.append(f'    <route src="{src}" dst="{dst}" symmetrical="NO">{hops}</route>')
    xml += ["  </zone>", "</platform>", ""]
    # SimGrid's plain max-min model (CM02) with nothing on top: no reverse-path ACK load
    # (3.32's CM02 leaves network/crosstraffic on), no correction factors, and TCP-gamma set to
    # migsim's window, since both bound a flow at window / RTT.
    config = ["network/model:CM02", "network/crosstraffic:0", "network/weight-S:0",
              "network/latency-factor:1", "network/bandwidth-factor:1",
              f"network/TCP-gamma:{size_bytes(tcp.get('window', '4MiB')):.0f}"]
    return "\n".join(xml), "\n".join(lines) + "\n", config, sorted(extras)


# ---- running both -----------------------------------------------------------------------

def build_simgrid_program(work):
    if shutil.which("pkg-config") is None or subprocess.run(
            ["pkg-config", "--exists", "simgrid"]).returncode != 0:
        return None
    source = os.path.join(HERE, "simgrid_migrate.cpp")
    binary = os.path.join(work, "simgrid_migrate")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "simgrid"], check=True,
                               capture_output=True, text=True).stdout.split()
        subprocess.run(["g++", "-std=c++17", "-O2", source, "-o", binary] + flags, check=True)
    return binary


def run_simgrid(binary, work, tag, platform, migrations, config):
    platform_file = os.path.join(work, f"{tag}.xml")
    migrations_file = os.path.join(work, f"{tag}.txt")
    with open(platform_file, "w") as out:
        out.write(platform)
    with open(migrations_file, "w") as out:
        out.write(migrations)
    done = subprocess.run([binary, platform_file, migrations_file, "--log=root.thres:warning"] +
                          [f"--cfg={c}" for c in config], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def relative(a, b):
    return abs(a - b) / abs(b) if b else (0.0 if a == b else float("inf"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("scenario", nargs="?",
                        default=os.path.join(ROOT, "scenarios/examples/simgrid-crosscheck.yaml"))
    parser.add_argument("--migsim", default=os.path.join(ROOT, "build/release/cli/migsim"))
    parser.add_argument("--work", help="keep the generated platforms and outputs here")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="exit 1 if a migration time, makespan or byte count differs by more "
                             "than this many percent")
    parser.add_argument("--json", help="write the comparison rows here")
    args = parser.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="migsim-simgrid-")
    os.makedirs(work, exist_ok=True)
    binary = build_simgrid_program(work)
    if binary is None:
        print("crosscheck: SimGrid is not installed (apt-get install libsimgrid-dev); skipped")
        return SKIP

    out = os.path.join(work, "migsim")
    subprocess.run([args.migsim, "run", args.scenario, "--out", out, "--quiet"], check=True)
    groups = {}
    with open(os.path.join(out, "results.jsonl")) as results:
        for line in results:
            record = json.loads(line)
            key = (record["point_index"], record["replicate"])
            groups.setdefault(key, {"vms": {}, "point": record.get("point", {})})
            if record.get("record") == "batch":
                groups[key]["batch"] = record
            elif record.get("record") == "vm":
                groups[key]["vms"][record["vm_index"]] = record
    if not groups or any("batch" not in g for g in groups.values()):
        print("crosscheck: the scenario must list its migrations under vms: (batch records)", file=sys.stderr)
        return 2

    rows, worst = [], {"time": 0.0, "bytes": 0.0, "makespan": 0.0}
    worst_downtime_ms = 0.0
    extras_seen = set()
    header = (f"{'point':<44} {'vm':<8} {'time migsim':>11} {'simgrid':>9} {'diff':>7}  "
              f"{'downtime':>8} {'simgrid':>8}  {'MiB migsim':>10} {'simgrid':>9} {'diff':>7}")
    inputs = {}
    for key, group in groups.items():
        try:
            inputs[key] = simgrid_inputs(group["batch"]["scenario"])
        except Unsupported as problem:
            print(f"crosscheck: {args.scenario}: {problem}", file=sys.stderr)
            return 2
    print(header)
    for (point_index, replicate), group in sorted(groups.items()):
        platform, migrations, config, extras = inputs[(point_index, replicate)]
        extras_seen.update(extras)
        simgrid = run_simgrid(binary, work, f"p{point_index}r{replicate}", platform, migrations, config)
        label = " ".join(f"{k.split('.')[-1]}={v}" for k, v in group["point"].items()) or "-"
        sg_makespan = max(vm["end_s"] for vm in simgrid)
        for index, theirs in enumerate(simgrid):
            ours = group["vms"][index]
            name = ours.get("vm_name") or f"vm{index}"
            metrics = ours["metrics"]
            row = {
                "point_index": point_index, "replicate": replicate, "point": group["point"], "vm": name,
                "migsim_time_s": metrics["total_time_s"], "simgrid_time_s": theirs["end_s"] - theirs["start_s"],
                "migsim_start_s": metrics["start_s"], "simgrid_start_s": theirs["start_s"],
                "migsim_downtime_s": metrics["downtime_s"], "simgrid_downtime_s": theirs["downtime_s"],
                "migsim_bytes": metrics["bytes_total"], "simgrid_bytes": theirs["bytes"],
            }
            time_diff = relative(row["migsim_time_s"], row["simgrid_time_s"])
            bytes_diff = relative(row["migsim_bytes"], row["simgrid_bytes"])
            worst["time"] = max(worst["time"], time_diff)
            worst["bytes"] = max(worst["bytes"], bytes_diff)
            worst_downtime_ms = max(worst_downtime_ms,
                                    1e3 * abs(row["migsim_downtime_s"] - row["simgrid_downtime_s"]))
            rows.append(row)
            print(f"{label[:44]:<44} {name[:8]:<8} {row['migsim_time_s']:>11.3f} {row['simgrid_time_s']:>9.3f} "
                  f"{100 * time_diff:>6.2f}%  {1e3 * row['migsim_downtime_s']:>6.1f}ms "
                  f"{1e3 * row['simgrid_downtime_s']:>6.1f}ms  {row['migsim_bytes'] / 2**20:>10.1f} "
                  f"{row['simgrid_bytes'] / 2**20:>9.1f} {100 * bytes_diff:>6.2f}%")
        makespan = group["batch"]["metrics"]["makespan_s"]
        worst["makespan"] = max(worst["makespan"], relative(makespan, sg_makespan))
        print(f"{label[:44]:<44} {'makespan':<8} {makespan:>11.3f} {sg_makespan:>9.3f} "
              f"{100 * relative(makespan, sg_makespan):>6.2f}%")

    print(f"\n{len(rows)} migrations in {len(groups)} runs. Largest differences: migration time "
          f"{100 * worst['time']:.2f}%, makespan {100 * worst['makespan']:.2f}%, bytes {100 * worst['bytes']:.2f}%; "
          f"downtime {worst_downtime_ms:.1f} ms.")
    if extras_seen:
        print("migsim also modelled what SimGrid does not: " + ", ".join(sorted(extras_seen)))
    if args.json:
        with open(args.json, "w") as out_file:
            json.dump({"rows": rows, "worst": worst, "worst_downtime_ms": worst_downtime_ms}, out_file, indent=1)
    if args.tolerance is not None and max(worst.values()) * 100 > args.tolerance:
        print(f"crosscheck: a difference exceeds {args.tolerance}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
