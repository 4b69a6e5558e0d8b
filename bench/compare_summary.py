#!/usr/bin/python3
"""Medians over rounds of bench/compare.sh's raw results; prints a table, writes JSON lines.

  compare_summary.py RAW.jsonl OUT.jsonl [--command CMD] [--seconds S]

RAW has one object per peer, round and test (keepalive, close, udp; check, idle, all).
OUT gets one object per peer and metric: peer, metric, median, values (one per round
that measured it), unit, failed (the reasons of rounds that did not), command. The
first line is a "run" object: the command, the rounds, the run time, the machine's load.

CPU per 1,000 requests is CPU seconds x 1e6 / requests (ms). The marginal figures
subtract the direct baseline's per-1,000 figure of the same round, so the client, the
servers and the kernel's forwarding on the client's side drop out.
"""

import argparse
import json
import statistics
import sys

METRICS = [
    # (metric, test, field or derived, unit)
    ("rps_keepalive", "keepalive", "rps", "req/s"),
    ("p50_keepalive", "keepalive", "p50_ms", "ms"),
    ("p99_keepalive", "keepalive", "p99_ms", "ms"),
    ("cps_close", "close", "rps", "conn/s"),
    ("p50_close", "close", "p50_ms", "ms"),
    ("p99_close", "close", "p99_ms", "ms"),
    ("udp_pps", "udp", "pps", "pps"),
]
CPU_KINDS = [("machine", "machine_cpu_s"), ("bench", "bench_cpu_s"), ("lb", "lb_cpu_s")]


def per_1k(r, field):
    if r.get(field) is None or not r.get("requests"):
        return None
    return r[field] * 1e6 / r["requests"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("out")
    ap.add_argument("--command", default="bench/compare.sh")
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--commit", help="the scripts' git commit")
    args = ap.parse_args()

    rows = []
    with open(args.raw, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.startswith("{")]
    peers = list(dict.fromkeys(r["peer"] for r in rows if r["peer"] != "machine"))
    rounds = sorted({r["round"] for r in rows})
    by = {(r["round"], r["peer"], r["test"]): r for r in rows}

    values = {}  # (peer, metric) -> [values], failures, unit, command

    def add(peer, metric, unit, rnd, value, command=None, why=None, note=None):
        e = values.setdefault((peer, metric), {"values": [], "failed": [], "notes": [], "unit": unit,
                                               "command": None})
        if value is not None:
            e["values"].append(round(value, 4))
            if note:
                e["notes"].append(f"round {rnd}: {note}")
        elif why:
            e["failed"].append(f"round {rnd}: {why}")
        if command:
            e["command"] = command

    for rnd in rounds:
        for peer in peers:
            whole = by.get((rnd, peer, "all"))
            for metric, test, field, unit in METRICS:
                r = by.get((rnd, peer, test))
                why = (whole or r or {}).get("why") if not (r and r.get("ok")) else None
                if r and r.get("unsupported"):
                    why = "unsupported: " + r["why"]
                value = r.get(field) if r and r.get("ok") else None
                note = "generator-limited (a lower bound)" if r and r.get("generator_limited") else None
                add(peer, metric, unit, rnd, value, r.get("command") if r else None, why, note)
            for test in ("keepalive", "close"):
                r = by.get((rnd, peer, test))
                ok = r and r.get("ok")
                base = by.get((rnd, "direct", test))
                for kind, field in CPU_KINDS:
                    v = per_1k(r, field) if ok else None
                    add(peer, f"{kind}_cpu_per_1k_{test}", "ms", rnd, v, r.get("command") if r else None,
                        None if ok else (whole or r or {}).get("why"))
                    if kind == "lb" or peer == "direct":
                        continue
                    b = per_1k(base, field) if base and base.get("ok") else None
                    m = v - b if v is not None and b is not None else None
                    why = None if m is not None else ("no direct baseline this round" if ok else (whole or r or {}).get("why"))
                    add(peer, f"marginal_{kind}_cpu_per_1k_{test}", "ms", rnd, m, None, why)

    idle = [r["busy_cores"] for r in rows if r["test"] == "idle"]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps({"run": True, "command": args.command, "rounds": len(rounds),
                            "seconds": args.seconds, "commit": args.commit,
                            "idle_busy_cores": idle}) + "\n")
        for (peer, metric), e in values.items():
            if not e["values"] and not e["failed"]:
                continue
            med = statistics.median(e["values"]) if e["values"] else None
            f.write(json.dumps({"peer": peer, "metric": metric, "median": med, "values": e["values"],
                                "unit": e["unit"], "failed": e["failed"], "notes": e["notes"],
                                "command": e["command"]}) + "\n")

    cols = ["rps_keepalive", "p99_keepalive", "cps_close", "p99_close", "marginal_bench_cpu_per_1k_keepalive",
            "marginal_machine_cpu_per_1k_keepalive", "udp_pps"]
    print("peer".ljust(17) + "".join(c.replace("_per_1k", "/1k")[-24:].rjust(26) for c in cols))
    for peer in peers:
        cells = []
        for c in cols:
            e = values.get((peer, c))
            if not e or not e["values"]:
                cells.append("failed" if e and e["failed"] else "-")
            else:
                cells.append(f"{statistics.median(e['values']):.2f}")
        print(peer.ljust(17) + "".join(x.rjust(26) for x in cells))
    print(f"machine busy with the lab idle (cores): {idle}", file=sys.stderr)


if __name__ == "__main__":
    main()
