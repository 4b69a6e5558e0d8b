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
import platform
import shutil
import subprocess
import sys
import tempfile

# One line on what each microbenchmark measures; unknown names are shown bare.
MICRO_DESCRIPTIONS = {
    "BM_ParseIpv4Tcp": "net::parse, Ethernet/IPv4/TCP",
    "BM_ParseIpv6UdpExt": "net::parse, Ethernet/IPv6/hop-by-hop/dest-opts/UDP",
    "BM_ParseVlanIpv4Tcp": "net::parse, Ethernet/802.1Q/IPv4/TCP",
    "BM_Checksum": "net::checksum (RFC 1071) over N bytes",
    "BM_CsumUpdate32": "csum_update32 (RFC 1624), one 32-bit field",
    "BM_NatRewriteIpv4Tcp": "ipv4::set_dst + incremental TCP checksum (NAT core)",
}


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "kernel": platform.release(),
        "os": os_name(),
    }


def os_name():
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


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


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


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


def text_table(head, body):
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)


def md_table(head, body):
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in body:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


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
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows.append([
                    r["kind"].upper(), str(r["servers"]), f"{r['checks_per_s']:,.0f}",
                    str(r["failures"]), f"{r['cpu_share']:.2f}",
                ])
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


ICOUNT_STAGES = ["parse", "classify", "key+hash", "lookup", "state", "schedule", "rewrite",
                 "batch", "other"]


def icount_section(path):
    """bench/icount's lines: instructions per packet per case, split into stages."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                st = r["stages"]
                rows.append([r["case"], f"`{r['args']}`", fmt(r["engine_per_packet"], 1)]
                            + [fmt(st.get(k, 0.0), 1) for k in ICOUNT_STAGES]
                            + [fmt(st.get("driver", 0.0), 1)])
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
        "line after inlining; rules in `bench/icount`): `parse` net::parse (Ethernet, IPv4",
        "with its checksum and martian checks, TCP options); `classify` the service",
        "lookup and the worker's per-frame glue; `key+hash` the flow key and its hash;",
        "`lookup` the flow table (bucket, entry, the flow's translation); `state` the",
        "connection's state, timers and counters; `schedule` the scheduler (new flows);",
        "`rewrite` the mode's rewrite and checksums; `batch` the batch loop.",
        "",
        md_table(head, rows),
        "",
    ]


# The "Side by side" section (bench/compare.sh): peers as compare.sh names them.
COMPARE_PEERS = {
    "direct": "no load balancer: the client talks to rs1 (baseline)",
    "gale-dr-xdp": "galed DR, AF_XDP, 1 worker",
    "gale-nat-xdp": "galed NAT, AF_XDP, 1 worker",
    "gale-nat-packet": "galed NAT, AF_PACKET, 1 worker",
    "gale-nat-xdp-2w": "galed NAT, AF_XDP, 2 workers",
    "nftables": "kernel nftables DNAT (numgen inc mod 3) in the gale namespace",
    "haproxy": "HAProxy 2.6 mode tcp, balance roundrobin, nbthread 1",
    "nginx": "nginx stream, 1 worker process (UDP: proxy_responses 0)",
}
# The load balancers gale is measured against (direct is the baseline, not a peer).
OTHER_LBS = ("nftables", "haproxy", "nginx")
# metric, heading, higher is better
COMPARE_METRICS = [
    ("rps_keepalive", "HTTP requests/s, keep-alive", True),
    ("cps_close", "New connections/s (one request each, `Connection: close`)", True),
    ("marginal_bench_cpu_per_1k_keepalive",
     "Marginal CPU per 1,000 requests, keep-alive (this run's CPU, minus direct's)", False),
    ("marginal_bench_cpu_per_1k_close",
     "Marginal CPU per 1,000 connections, `Connection: close` (this run's CPU, minus direct's)", False),
    ("marginal_machine_cpu_per_1k_keepalive",
     "Marginal whole-machine CPU per 1,000 requests, keep-alive (/proc/stat, minus direct's)", False),
    ("marginal_machine_cpu_per_1k_close",
     "Marginal whole-machine CPU per 1,000 connections, `Connection: close` (/proc/stat)", False),
    ("lb_cpu_per_1k_keepalive", "The load balancer's own CPU per 1,000 requests, keep-alive", False),
    ("lb_cpu_per_1k_close", "The load balancer's own CPU per 1,000 connections, `Connection: close`", False),
    ("p50_keepalive", "p50 latency, keep-alive", False),
    ("p99_keepalive", "p99 latency, keep-alive", False),
    ("p50_close", "p50 latency, `Connection: close`", False),
    ("p99_close", "p99 latency, `Connection: close`", False),
    ("udp_pps", "UDP packets/s forwarded, 64-byte frames, < 0.1% loss", True),
]


def load_compare(path):
    run, rows = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r.get("run"):
                run = r
            else:
                rows[(r["peer"], r["metric"])] = r
    return run, rows


def compare_peers(rows):
    seen = list(dict.fromkeys(p for p, _ in rows))
    return [p for p in COMPARE_PEERS if p in seen] + [p for p in seen if p not in COMPARE_PEERS]


def best_other(rows, metric, higher):
    vals = [rows[(p, metric)]["median"] for p in OTHER_LBS
            if (p, metric) in rows and rows[(p, metric)]["median"] is not None]
    if not vals:
        return None, None
    best = max(vals) if higher else min(vals)
    name = next(p for p in OTHER_LBS if (p, metric) in rows and rows[(p, metric)]["median"] == best)
    return best, name


def compare_table(rows, metric, higher):
    best, best_name = best_other(rows, metric, higher)
    head = ["peer", "median", "rounds", f"ratio to {best_name or 'best other LB'}", "notes"]
    body = []
    for peer in compare_peers(rows):
        r = rows.get((peer, metric))
        if r is None:
            continue
        digits = 0 if r["unit"] in ("req/s", "conn/s", "pps") else 2
        med = r["median"]
        if med is None:
            cell, ratio = "**failed**", "-"
        else:
            cell = f"{med:,.{digits}f} {r['unit']}"
            ratio = f"{med / best:.2f}" if best and best > 0 and med >= 0 else "-"
        notes = "; ".join(r.get("failed", []) + r.get("notes", []))
        body.append([peer, cell, ", ".join(f"{v:,.{digits}f}" for v in r["values"]) or "-", ratio,
                     notes[:300] + ("..." if len(notes) > 300 else "")])
    return head, body


def bar_plot(png, title, ylabel, series, peers, rows):
    """Bars per peer, one panel per metric in series [(metric, panel title)], each on its
    own scale. A failed or unsupported figure gets no bar (its label says so), never a
    zero; negative values (a marginal figure below the baseline) are drawn below zero."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot not found"
    os.makedirs(os.path.dirname(png), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = [
            f"set terminal pngcairo size {max(460 * len(series), 720)},480 noenhanced",
            f'set output "{png}"',
            'set datafile missing "?"',
            "set style data histograms",
            "set style histogram clustered gap 1",
            "set style fill solid 0.8 border -1",
            "set xtics rotate by -40",
            "set grid ytics",
            "set key off",
            f'set multiplot layout 1,{len(series)} title "{title}"',
        ]
        for i, (metric, label) in enumerate(series):
            data = os.path.join(tmp, f"bars{i}.dat")
            values = []
            with open(data, "w", encoding="utf-8") as f:
                for peer in peers:
                    r = rows.get((peer, metric))
                    v = None if not r or r["median"] is None else r["median"]
                    if r is None:
                        continue
                    values.append(v)
                    tag = peer if v is not None else f"{peer} (none)"
                    f.write(f'"{tag}" ' + ("?" if v is None else str(v)) + "\n")
            low = "*" if any(v is not None and v < 0 for v in values) else "0"
            script += [
                f'set title "{label}"',
                f'set ylabel "{ylabel}"',
                f"set yrange [{low}:*]",
                f'plot "{data}" using 2:xtic(1)',
            ]
        script.append("unset multiplot")
        r = subprocess.run([gnuplot], input="\n".join(script), capture_output=True, text=True,
                           check=False)
        if r.returncode != 0:
            return r.stderr.strip() or f"gnuplot exited {r.returncode}"
    return None


def compare_section(path, out_page, img_dir):
    run, rows = load_compare(path)
    m = machine()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    peers = compare_peers(rows)
    idle = run.get("idle_busy_cores") or []
    lines = [
        "## Side by side",
        "",
        "Generated by `bench/compare.sh` (run alone, or by `bench/run` as root unless",
        "`GALE_BENCH_NO_COMPARE=1`); do not edit by hand. The same traffic through each peer",
        "in turn, on the namespace lab of `lab/lib.sh` (client -- router -- switch -- the",
        "load-balancer node and three nginx real servers, everything on this one machine),",
        "peers interleaved per round; each figure is the median over the rounds.",
        "",
        f"- machine: {m['cpu']}, {m['nproc']} CPUs, kernel {m['kernel']} ({m['os']}); {when}",
        f"- command: `{run.get('command', 'bench/compare.sh')}` -- {run.get('rounds', '?')} rounds, "
        f"measured in {run.get('seconds', '?')} s, at commit {run.get('commit') or '?'}; the peers'",
        "  configurations (gale.conf, the nftables ruleset, haproxy.cfg, nginx.conf) are written",
        "  by `peer_up` in bench/compare.sh and lab_start_gale in lab/lib.sh",
        "- load beside the run: the machine's busy CPUs over 1 s with the lab idle, at the start "
        "of each round: " + (", ".join(f"{c:.2f}" for c in idle) or "not measured")
        + " (of 2: another job shared the machine; whole-machine figures carry its load)",
        "",
        "| peer | what |",
        "|---|---|",
    ] + [f"| {p} | {COMPARE_PEERS.get(p, '')} |" for p in peers] + [
        "",
        "How each figure is taken:",
        "",
        "- HTTP: `wrk -t2 -c32 --latency http://VIP/` from the client namespace (direct: rs1's",
        "  address), and the same with `-H \"Connection: close\"` for new connections/s (the",
        "  exact commands are listed at the end).",
        "  Before measuring, six `curl`s must each be answered by a real server (two of them at",
        "  least through a load balancer), or the peer is reported as failed.",
        "- CPU per 1,000 requests (ms): CPU seconds during the wrk run x 10^6 / requests.",
        "  *This run's CPU* is a cpuacct cgroup holding everything compare.sh starts (client, wrk,",
        "  router, servers, the load balancer, the softirq work done in their context) plus",
        "  ksoftirqd; *marginal* subtracts direct's figure of the same round, so what is left is",
        "  what the load balancer adds (for nftables it is kernel softirq time only: it has no",
        "  process of its own). *Whole-machine* is /proc/stat's busy time (user, nice, system,",
        "  irq, softirq, steal): it is the figure to use on an otherwise idle machine; with",
        "  another job beside the run it measures mostly that job. *The load balancer's own*",
        "  is utime+stime of the processes in the gale namespace (galed; haproxy; nginx's master",
        "  and worker).",
        "- UDP: `gale-udpgen` (bench/udpgen.cc: sendmmsg, 16 source ports, 18-byte payload = 64-byte",
        "  frames) to VIP:9000 for 1 s per step; received = the servers' nftables counters in",
        "  a netdev ingress hook (the datagrams are dropped there, so no server socket limits it).",
        "  From 50k/s double while loss < 0.1% (or halve while not), then bisect 3 times; the",
        "  figure is the received rate of the fastest step with < 0.1% loss. \"generator-limited\"",
        "  means the sender reached < 95% of its target at that step: the sending side ran out",
        "  of CPU. That side includes the kernel work the sender's own system calls drive in",
        "  softirq (the router's forwarding, the bridge, and the load-balancer node's receive",
        "  path: XDP and the copy into the AF_XDP ring, or nftables' forwarding), so a peer",
        "  whose receive path costs more lowers the sender's ceiling: the figure is what the",
        "  whole path did on these 2 CPUs, not the load balancer's own limit.",
        "  `direct` is the generator's own ceiling through the router. HAProxy has no UDP.",
        "- ratio: the median over the best of nftables, HAProxy and nginx for that metric (for",
        "  CPU and latency, lower is better: a ratio above 1 is worse).",
        "",
    ]
    plots = [
        ("compare-http.png", "HTTP through each peer (median)", "per second",
         [("rps_keepalive", "keep-alive req/s"), ("cps_close", "new connections/s")]),
        ("compare-cpu.png", "Marginal CPU (this run's CPU minus direct's, median)", "ms CPU",
         [("marginal_bench_cpu_per_1k_keepalive", "keep-alive, per 1,000 requests"),
          ("marginal_bench_cpu_per_1k_close", "Connection: close, per 1,000 connections")]),
        ("compare-udp.png", "64-byte UDP forwarded with < 0.1% loss (median)", "packets/s",
         [("udp_pps", "packets/s at the servers")]),
    ]
    errors = []
    for name, title, ylabel, series in plots:
        png = os.path.join(img_dir, name)
        err = bar_plot(png, title, ylabel, series, peers, rows)
        if err:
            errors.append(f"{name}: {err}")
        else:
            rel = os.path.relpath(png, os.path.dirname(os.path.abspath(out_page)))
            lines += [f"![{title}]({rel})", ""]
    for e in errors:
        lines += [f"(no plot: {e})", ""]
        print(f"report.py: no plot: {e}", file=sys.stderr)
    commands = {}
    for (peer, metric), r in rows.items():
        if r.get("command") and metric in ("rps_keepalive", "cps_close", "udp_pps"):
            commands.setdefault(peer, []).append(r["command"])
    for metric, heading, higher in COMPARE_METRICS:
        if not any(mt == metric for _, mt in rows):
            continue
        head, body = compare_table(rows, metric, higher)
        lines += [f"### {heading}", "", f"{'Higher' if higher else 'Lower'} is better.", "", md_table(head, body), ""]
        print(f"\n{heading}\n" + text_table(head[:4], [b[:4] for b in body]))
    lines += ["### Commands", ""]
    for peer in peers:
        for c in commands.get(peer, []):
            lines.append(f"- {peer}: `{c}`")
    lines.append("")
    return lines


def replace_section(page_path, section):
    """Replaces "## Side by side" (up to the next "## " heading) in an existing page, or
    appends it."""
    try:
        with open(page_path, encoding="utf-8") as f:
            old = f.read().split("\n")
    except FileNotFoundError:
        old = ["# Benchmarks", ""]
    start = next((i for i, l in enumerate(old) if l == "## Side by side"), None)
    if start is None:
        return old + ([""] if old and old[-1] else []) + section
    end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ")), len(old))
    return old[:start] + section + old[end:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--micro", help="required unless only --compare is given")
    ap.add_argument("--micro-command", default="gale-microbench")
    ap.add_argument("--pipeline")
    ap.add_argument("--pipeline-command", default="gale-bench pipeline --json")
    ap.add_argument("--health", help="bench/health's JSON lines")
    ap.add_argument("--icount", help="bench/icount's JSON lines")
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
