"""The "Side by side" section of docs/benchmarks.md (bench/report.py --compare): the
medians bench/compare.sh wrote (compare.jsonl), a table per metric with the ratio to the
best other load balancer, and gnuplot bar plots. Standard library only."""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

from report_util import machine, md_table, text_table


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
