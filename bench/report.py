#!/usr/bin/python3
"""Turns the raw output of bench/run into a short table on stdout and docs/benchmarks.md.

Inputs (the files bench/run writes into BUILD_DIR/bench-results/):
  --micro FILE      Google Benchmark JSON (--benchmark_format=json), with repetitions
                    and aggregates only; the median of each benchmark is reported.
  --pipeline FILE   optional: JSON lines from `gale-bench pipeline --json`, one object
                    per measurement with case, mode, flows, ns_per_packet, mpps and
                    bytes_per_flow. Lines that are not JSON objects are ignored.
  --compare FILE    optional: bench/compare.sh's medians (compare.jsonl), rendered as
                    the "Side by side" section with its bar plots. Without --micro, only
                    that section of the --out page is replaced (or appended): this is
                    how bench/compare.sh, run alone, updates the page.
The page gets the machine, the date, the commands, the tables and, with pipeline data,
a gnuplot PNG of ns per packet against flows (log x) per case.

Standard library only: this runs under Debian's /usr/bin/python3 with nothing else.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

from report_compare import compare_section, replace_section
from report_util import fmt, machine, md_table, read_jsonl, text_table

# One line on what each microbenchmark measures; unknown names are shown bare.
MICRO_DESCRIPTIONS = {
    "BM_ParseIpv4Tcp": "net::parse, Ethernet/IPv4/TCP",
    "BM_ParseIpv6UdpExt": "net::parse, Ethernet/IPv6/hop-by-hop/dest-opts/UDP",
    "BM_ParseVlanIpv4Tcp": "net::parse, Ethernet/802.1Q/IPv4/TCP",
    "BM_Checksum": "net::checksum (RFC 1071) over N bytes",
    "BM_CsumUpdate32": "csum_update32 (RFC 1624), one 32-bit field",
    "BM_NatRewriteIpv4Tcp": "ipv4::set_dst + incremental TCP checksum (NAT core)",
}


def load_micro(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    rows = []
    for b in doc.get("benchmarks", []):
        if b.get("aggregate_name") != "median":
            continue
        run_name = b.get("run_name", b["name"])
        cv = next(
            (
                c.get("cpu_time")
                for c in doc["benchmarks"]
                if c.get("run_name") == run_name and c.get("aggregate_name") == "cv"
            ),
            None,
        )
        ns = to_ns(b["cpu_time"], b.get("time_unit", "ns"))
        items = b.get("items_per_second")
        rows.append(
            {
                "name": run_name,
                "what": MICRO_DESCRIPTIONS.get(run_name.split("/")[0], ""),
                "ns_per_iter": ns,
                "ns_per_item": 1e9 / items if items else None,
                "mitems": items / 1e6 if items else None,
                "gbytes": b["bytes_per_second"] / 1e9 if b.get("bytes_per_second") else None,
                "cv": cv,
                "reps": b.get("repetitions"),
            }
        )
    return doc.get("context", {}), rows


def to_ns(value, unit):
    return value * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def load_pipeline(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "case" in r and "flows" in r and "ns_per_packet" in r:
                rows.append(r)
    rows.sort(key=lambda r: (str(r["case"]), str(r.get("mode", "")), r["flows"]))
    return rows


def micro_table(rows):
    head = ["benchmark", "what", "ns/op", "ns/item", "M items/s", "GB/s", "cv"]
    body = [
        [
            r["name"],
            r["what"],
            fmt(r["ns_per_iter"], 1),
            fmt(r["ns_per_item"], 2),
            fmt(r["mitems"], 1),
            fmt(r["gbytes"], 2),
            f"{r['cv'] * 100:.1f}%" if r["cv"] is not None else "-",
        ]
        for r in rows
    ]
    return head, body


def pipeline_table(rows):
    head = ["case", "mode", "flows", "ns/packet", "Mpps", "bytes/flow"]
    body = [
        [
            str(r["case"]),
            str(r.get("mode", "")),
            str(r["flows"]),
            fmt(float(r["ns_per_packet"]), 1),
            fmt(float(r["mpps"]), 2) if "mpps" in r else "-",
            fmt(r.get("bytes_per_flow")),
        ]
        for r in rows
    ]
    return head, body


# PROXY cases and the case each is measured against in the same run (gale-bench).
PROXY_PAIRS = [
    ("fullnat-proxy-v2-both-directions", "fullnat-both-directions",
     "PROXY v2 on the FullNAT servers, established connections past the header (each "
     "packet's sequence or acknowledgement number translated)"),
    ("fullnat-proxy-v2-first-segment", "fullnat-client-to-server",
     "PROXY v2 header put in front of every client segment (the first payload byte, not "
     "yet acknowledged: checksum verified, headers moved, checksum computed whole)"),
]


def proxy_notes(rows):
    """One line per PROXY case whose plain counterpart ran too: X ns vs Y ns."""
    ns = {str(r["case"]): float(r["ns_per_packet"]) for r in rows}
    notes = []
    for proxy, plain, what in PROXY_PAIRS:
        if proxy in ns and plain in ns:
            notes.append(
                f"{what}: {ns[proxy]:.1f} ns/packet vs {ns[plain]:.1f} ns for `{plain}` "
                f"({ns[proxy] - ns[plain]:+.1f} ns), same run."
            )
    return notes


def series_of(rows):
    """Groups pipeline rows into plot series: one per case, split by mode when a case
    was measured in more than one mode."""
    modes = {}
    for r in rows:
        modes.setdefault(str(r["case"]), set()).add(str(r.get("mode", "")))
    series = {}
    for r in rows:
        case = str(r["case"])
        label = case if len(modes[case]) == 1 else f"{case} {r.get('mode', '')}"
        series.setdefault(label, []).append((float(r["flows"]), float(r["ns_per_packet"])))
    return series


def plot(rows, png):
    """Draws ns per packet against flows with gnuplot; returns an error text or None."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot not found"
    terms = subprocess.run(
        [gnuplot, "-e", "set terminal"], capture_output=True, text=True, check=False
    )
    term = "pngcairo" if "pngcairo" in terms.stdout + terms.stderr else "png"
    os.makedirs(os.path.dirname(png), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        plots = []
        for i, (label, points) in enumerate(sorted(series_of(rows).items())):
            data = os.path.join(tmp, f"s{i}.dat")
            with open(data, "w", encoding="utf-8") as f:
                for x, y in sorted(points):
                    f.write(f"{x} {y}\n")
            title = label.replace("\\", "\\\\").replace('"', '\\"')
            plots.append(f'"{data}" using 1:2 with linespoints title "{title}"')
        script = "\n".join(
            [
                f'set terminal {term} size 900,540 noenhanced',
                f'set output "{png}"',
                'set title "gale pipeline: ns per packet vs flows"',
                "set logscale x 10",
                'set xlabel "flows in the table"',
                'set ylabel "ns per packet (one core)"',
                "set yrange [0:*]",
                "set grid",
                "set key top left",
                "plot " + ", \\\n  ".join(plots),
            ]
        )
        r = subprocess.run([gnuplot], input=script, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            return r.stderr.strip() or f"gnuplot exited {r.returncode}"
    return None


def health_section(path):
    """bench/health's lines: checks/s and the engine thread's share of one core."""
    rows = [[r["kind"].upper(), str(r["servers"]), f"{r['checks_per_s']:,.0f}",
             str(r["failures"]), f"{r['cpu_share']:.2f}"] for r in read_jsonl(path)]
    if not rows:
        return []
    head = ["check", "real servers", "checks/s", "failures", "engine CPU (cores)"]
    return [
        "## Health checks",
        "",
        "Command: `bench/health build` (root: a namespace with the servers on lo, nginx for",
        "TCP and HTTP, nginx's stream module answering UDP; every server checked with",
        "`delay_loop 1`, so the offered load is one check per server per second).",
        "",
        md_table(head, rows),
        "",
    ]


def workers_section(path):
    """gale-workers-bench's lines: W workers through the Dataplane, hand-off share."""
    rows = [[r["case"], str(r["workers"]), f"{r['mpps']:.3f}",
             f"{100 * r['handoff_share']:.1f}%", str(r["handoff_dropped"]),
             f"{r['cpu_ns_per_packet']:.0f}"] for r in read_jsonl(path)]
    if not rows:
        return []
    head = ["case", "workers", "Mpps forwarded", "handed over", "hand-off drops",
            "CPU ns per packet"]
    return [
        "## Workers and hand-off",
        "",
        "Command: `gale-workers-bench --json` (4,096 UDP flows to a DR service replayed",
        "for 3 s per case through the real `io::Dataplane`: worker threads pinned to CPUs",
        "0 and 1, hand-off lanes, the memory backend copying each received frame into a",
        "worker buffer as AF_PACKET does). `one-queue`: every frame arrives at worker 0,",
        "as from a veth with one queue; `spread`: at a worker picked by a hash that knows",
        "nothing of gale's owners, as NIC RSS without owner steering; `owned`: at its",
        "owner. `handed over`: the share of received frames passed to the other worker;",
        "`CPU ns per packet`: the process's CPU time over the packets forwarded (both",
        "workers spin, so an idle worker's polling counts too).",
        "",
        md_table(head, rows),
        "",
    ]


ICOUNT_STAGES = ["parse", "classify", "key+hash", "lookup", "state", "schedule", "rewrite",
                 "batch", "other"]


def icount_section(path):
    """bench/icount's lines: instructions per packet per case, split into stages."""
    rows = [[r["case"], f"`{r['args']}`", fmt(r["engine_per_packet"], 1)]
            + [fmt(r["stages"].get(k, 0.0), 1) for k in ICOUNT_STAGES]
            + [fmt(r["stages"].get("driver", 0.0), 1)] for r in read_jsonl(path)]
    if not rows:
        return []
    head = ["case", "gale-bench one", "engine"] + ICOUNT_STAGES + ["driver"]
    return [
        "## Instructions per packet (callgrind)",
        "",
        "Command: `bench/icount build --json` (each case `valgrind --tool=callgrind",
        "--instr-atstart=no gale-bench one ...`, 256,000 packets; only the timed loop is",
        "counted, not the flows established before it). Instruction counts are stable",
        "where timings are not. `engine` is every instruction but the benchmark driver's",
        "(`driver`: refilling each frame from its template). The stages follow where",
        "callgrind puts each instruction (the function it ran in, the source file of its",
        "line after inlining; rules in `bench/icount`): `parse` net::parse or its short way",
        "net::parse_fast_v4 (Ethernet, IPv4 with its checksum and martian checks, TCP",
        "options: docs/engine.md); `classify` the service",
        "lookup and the worker's per-frame glue; `key+hash` the flow key and its hash;",
        "`lookup` the flow table (bucket, entry, the flow's translation); `state` the",
        "connection's state, timers and counters; `schedule` the scheduler (new flows);",
        "`rewrite` the mode's rewrite and checksums; `batch` the batch loop.",
        "",
        md_table(head, rows),
        "",
    ]


# The "Side by side" section (bench/compare.sh): peers as compare.sh names them.
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--micro", help="required unless only --compare is given")
    ap.add_argument("--micro-command", default="gale-microbench")
    ap.add_argument("--pipeline")
    ap.add_argument("--pipeline-command", default="gale-bench pipeline --json")
    ap.add_argument("--health", help="bench/health's JSON lines")
    ap.add_argument("--icount", help="bench/icount's JSON lines")
    ap.add_argument("--workers", help="gale-workers-bench's JSON lines")
    ap.add_argument("--compare", help="bench/compare.sh's compare.jsonl")
    ap.add_argument("--out", required=True, help="the markdown page to write")
    ap.add_argument("--img-dir", required=True, help="where the plots go")
    args = ap.parse_args()
    if not args.micro:
        if not args.compare:
            ap.error("--micro or --compare is required")
        page = replace_section(args.out, compare_section(args.compare, args.out, args.img_dir))
        with open(args.out, "w", encoding="utf-8") as f:
            f.write("\n".join(page))
        print(f"\nwrote the Side by side section of {args.out}")
        return

    context, micro = load_micro(args.micro)
    pipe = load_pipeline(args.pipeline) if args.pipeline else []
    m = machine()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    mh, mb = micro_table(micro)
    print(text_table(mh, mb))
    if pipe:
        ph, pb = pipeline_table(pipe)
        print()
        print(text_table(ph, pb))
        for note in proxy_notes(pipe):
            print(note)

    png = os.path.join(args.img_dir, "pipeline-ns-per-packet.png")
    plot_error = plot(pipe, png) if pipe else None

    page = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run build`); do not edit by hand.",
        "Benchmarks are not tests: the figures say how fast, on the machine below, at the",
        "time below. Timings on a shared VM vary 10-20% from run to run, so each figure is",
        "the median of 3 repetitions of a run pinned to one CPU, and `cv` is the",
        "coefficient of variation across those repetitions.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['nproc']} CPUs available (`nproc`)",
        f"- kernel: {m['kernel']} ({m['os']})",
        f"- date: {when}",
    ]
    if context.get("library_build_type") == "debug":
        page.append(
            "- note: Debian's Google Benchmark library reports itself as a debug build; "
            "this affects its timing loop slightly, not the code measured"
        )
    page += [
        "",
        "## Microbenchmarks (net/)",
        "",
        f"Command: `{args.micro_command}`",
        "",
        "Packet benchmarks walk a ring of 4096 prebuilt frames (2 KiB apart, as in an",
        "AF_XDP UMEM) 64 frames per iteration, so one frame is not parsed again until the",
        "ring wraps; an item is a packet. The ring's headers fit in L2/L3: the cost of",
        "frames arriving from the NIC in DRAM is not in these numbers.",
        "",
        md_table(mh, mb),
        "",
    ]
    if pipe:
        page += [
            "## Pipeline",
            "",
            f"Command: `{args.pipeline_command}`",
            "",
            md_table(ph, pb),
            "",
        ]
        for note in proxy_notes(pipe):
            page += [note, ""]
        if plot_error is None:
            rel = os.path.relpath(png, os.path.dirname(os.path.abspath(args.out)))
            page += [f"![ns per packet vs flows]({rel})", ""]
        else:
            page += [f"(no plot: {plot_error})", ""]
            print(f"report.py: no plot: {plot_error}", file=sys.stderr)
    else:
        page += [
            "## Pipeline",
            "",
            "Not measured: this build has no `gale-bench` (the lb pipeline is planned).",
            "",
        ]
    if args.icount:
        page += icount_section(args.icount)
    if args.workers:
        page += workers_section(args.workers)
    if args.health:
        page += health_section(args.health)
    if args.compare:
        page += compare_section(args.compare, args.out, args.img_dir)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(page))
    print(f"\nwrote {args.out}" + ("" if not pipe or plot_error else f" and {png}"))


if __name__ == "__main__":
    main()
