#!/usr/bin/python3
"""The client side of the failover lab (tests/e2e/lab/ha_pair.sh), standard library only.

Two kinds of traffic to VIP:PORT on one thread (selectors):
  - N long-lived HTTP/1.1 keep-alive connections, each sending one request every EVERY
    seconds (never more than one outstanding) and reading the answer; a connection is
    lost on a reset, an EOF, an error, or an answer overdue by more than TIMEOUT s (10:
    well past the retransmission a 3.6 s gap costs, about 6 s);
  - a prober starting a fresh connection (one request, Connection: close) every PROBE
    seconds, however many are still outstanding, so the longest time between two
    answered probes is the gap new traffic sees.

It talks to the shell through files in DIR: the shell appends "NAME EPOCH" lines to
DIR/events (the kill, a takeover, the fail-back) and creates DIR/stop to end the run;
this script writes DIR/ready once every connection has had its first answer, and
DIR/status every 100 ms ("events N live N recovered N probes N": the events read so far,
the connections alive, how many of them had an answer since the last event, probes
answered since the last event).

At the end: DIR/timeline.csv (per 100 ms: trickle answers/s, probe answers/s, live
connections, and the events that fell in that slot), DIR/results.json (per connection
and per phase) and a summary on stdout.
"""
import argparse
import errno
import json
import os
import selectors
import socket
import time

SLOT = 0.1  # the timeline's resolution, seconds


class Trickle:
    """One keep-alive connection and what happened to it."""

    def __init__(self, ident, sock):
        self.ident = ident
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.buf = b""
        self.pending_since = None  # when the outstanding request was sent
        self.next_send = 0.0
        self.answers = []  # times of answers
        self.server = None
        self.moved = 0  # answers from another server than the first (a NAT/FullNAT remap)
        self.lost = None  # (time, reason) once lost


class Probe:
    """One short request on a fresh connection."""

    def __init__(self, sock, started):
        self.sock = sock
        self.started = started
        self.buf = b""
        self.sent = False


REQUEST = b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n"
PROBE_REQUEST = b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"


def one_response(buf):
    """(body, rest) when buf holds a whole response, else None."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    length = 0
    for line in buf[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    end = head_end + 4 + length
    if len(buf) < end:
        return None
    if not buf.startswith(b"HTTP/1.1 200"):
        raise ValueError("status " + buf[: buf.find(b"\r\n")].decode(errors="replace"))
    return buf[head_end + 4 : end].strip().decode(errors="replace"), buf[end:]


def read_events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                # A line the shell is still writing has no newline yet.
                if line.endswith("\n") and len(parts) == 2:
                    out.append((parts[0], float(parts[1])))
    except FileNotFoundError:
        pass
    return out


def max_gap(times, t0, t1):
    """The longest interval between consecutive times that overlaps [t0, t1)."""
    best = 0.0
    for a, b in zip(times, times[1:]):
        if b >= t0 and a < t1:
            best = max(best, b - a)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vip", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--every", type=float, default=0.02)
    ap.add_argument("--probe", type=float, default=0.01)
    ap.add_argument("--probe-timeout", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--max-seconds", type=float, default=170.0)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    d = a.dir
    sel = selectors.DefaultSelector()
    start = time.time()

    conns = []
    for i in range(a.conns):
        s = socket.create_connection((a.vip, a.port), timeout=5)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = Trickle(i, s)
        # Spread the sends over one interval, not all in one burst.
        c.next_send = time.time() + a.every * i / a.conns
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)

    probes = set()
    probe_ok = []  # completion times of answered probes
    probe_failed = 0
    next_probe = time.time()
    slots = {}  # slot index -> [trickle answers, probe answers, live at slot end]
    ready = False
    last_status = 0.0
    events = []

    def slot(t):
        return slots.setdefault(int((t - start) / SLOT), [0, 0, 0])

    def lose(c, now, reason):
        c.lost = (now, reason)
        sel.unregister(c.sock)
        c.sock.close()

    def end_probe(p, ok, now):
        nonlocal probe_failed
        sel.unregister(p.sock)
        p.sock.close()
        probes.discard(p)
        if ok:
            probe_ok.append(now)
            slot(now)[1] += 1
        else:
            probe_failed += 1

    while True:
        now = time.time()
        if os.path.exists(os.path.join(d, "stop")) or now - start > a.max_seconds:
            break
        # Sends that are due.
        for c in conns:
            if c.lost:
                continue
            if c.pending_since is None and now >= c.next_send:
                try:
                    c.sock.send(REQUEST)
                except OSError as e:
                    lose(c, now, errno.errorcode.get(e.errno, str(e.errno)))
                    continue
                c.pending_since = now
                c.next_send = max(c.next_send + a.every, now)
            elif c.pending_since is not None and now - c.pending_since > a.timeout:
                # Lost when its unanswered request was sent, not when we gave up on it,
                # so it counts in the phase that broke it.
                lose(c, c.pending_since, "timeout")
        if now >= next_probe:
            next_probe += a.probe
            if next_probe < now:  # fell behind (a stall): no burst of catch-up probes
                next_probe = now + a.probe
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((a.vip, a.port))
            p = Probe(s, now)
            probes.add(p)
            sel.register(s, selectors.EVENT_WRITE, p)
        for p in [p for p in probes if now - p.started > a.probe_timeout]:
            end_probe(p, False, now)

        for key, mask in sel.select(timeout=0.002):
            obj = key.data
            now = time.time()
            if isinstance(obj, Probe):
                p = obj
                if not p.sent:
                    if p.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        end_probe(p, False, now)
                        continue
                    try:
                        p.sock.send(PROBE_REQUEST)
                    except OSError:
                        end_probe(p, False, now)
                        continue
                    p.sent = True
                    sel.modify(p.sock, selectors.EVENT_READ, p)
                    continue
                try:
                    data = p.sock.recv(4096)
                except OSError:
                    end_probe(p, False, now)
                    continue
                p.buf += data
                try:
                    done = one_response(p.buf)
                except ValueError:
                    end_probe(p, False, now)
                    continue
                if done or not data:
                    end_probe(p, done is not None, now)
                continue
            c = obj
            try:
                data = c.sock.recv(65536)
            except OSError as e:
                lose(c, now, "reset" if e.errno == errno.ECONNRESET else errno.errorcode.get(e.errno, "error"))
                continue
            if not data:
                lose(c, now, "eof")
                continue
            c.buf += data
            try:
                while True:
                    done = one_response(c.buf)
                    if not done:
                        break
                    body, c.buf = done
                    if c.server is None:
                        c.server = body
                    elif body != c.server:
                        c.moved += 1
                    c.answers.append(now)
                    c.pending_since = None
                    slot(now)[0] += 1
            except ValueError as e:
                lose(c, now, str(e))

        now = time.time()
        slot(now)[2] = sum(1 for c in conns if not c.lost)
        if not ready and all(c.answers or c.lost for c in conns):
            ready = True
            with open(os.path.join(d, "ready"), "w") as f:
                f.write("%d of %d connections answered\n" % (sum(1 for c in conns if c.answers), a.conns))
        if now - last_status >= SLOT:
            last_status = now
            events = read_events(os.path.join(d, "events"))
            since = events[-1][1] if events else start
            live = [c for c in conns if not c.lost]
            recovered = sum(1 for c in live if c.answers and c.answers[-1] > since)
            probes_since = sum(1 for t in probe_ok[-200:] if t > since)
            tmp = os.path.join(d, "status.tmp")
            with open(tmp, "w") as f:
                f.write("events %d live %d recovered %d probes %d\n" % (len(events), len(live), recovered, probes_since))
            os.replace(tmp, os.path.join(d, "status"))

    end = time.time()
    for p in list(probes):
        end_probe(p, False, end)
    events = read_events(os.path.join(d, "events"))

    # The timeline.
    marks = {}
    for name, t in events:
        marks.setdefault(int((t - start) / SLOT), []).append(name)
    live = a.conns
    with open(os.path.join(d, "timeline.csv"), "w") as f:
        f.write("t_s,trickle_rps,probe_rps,live_conns,event\n")
        for i in range(int((end - start) / SLOT) + 1):
            tr, pr, lv = slots.get(i, [0, 0, None])
            live = lv if lv is not None else live
            f.write("%.1f,%d,%d,%d,%s\n" % (i * SLOT, tr / SLOT, pr / SLOT, live, "+".join(marks.get(i, []))))

    # Phases: from each "kill"/"failback" event to the next one (or the end).
    cuts = [(n, t) for n, t in events if n in ("kill", "failback")]
    phases = []
    for k, (name, t0) in enumerate(cuts):
        t1 = cuts[k + 1][1] if k + 1 < len(cuts) else end
        alive_at = [c for c in conns if not c.lost or c.lost[0] >= t0]
        lost_here = [c for c in alive_at if c.lost and c.lost[0] < t1]
        survivors = [c for c in alive_at if c not in lost_here]
        phases.append(
            {
                "phase": name,
                "at_s": round(t0 - start, 3),
                "probe_gap_ms": round(1000 * max_gap(probe_ok, t0, t1)),
                "trickle_max_gap_ms": round(1000 * max((max_gap(c.answers, t0, t1) for c in survivors), default=0)),
                "conns_before": len(alive_at),
                "conns_survived": len(survivors),
                "lost": [{"conn": c.ident, "port": c.port, "server": c.server, "reason": c.lost[1]} for c in lost_here],
            }
        )
    results = {
        "conns": a.conns,
        "survived": sum(1 for c in conns if not c.lost),
        "moved": sum(1 for c in conns if c.moved),
        "probes_ok": len(probe_ok),
        "probes_failed": probe_failed,
        "trickle_answers": sum(len(c.answers) for c in conns),
        "servers": sorted({c.server for c in conns if c.server}),
        "events": [[n, round(t - start, 3)] for n, t in events],
        "phases": phases,
        "per_conn": [
            {
                "conn": c.ident,
                "port": c.port,
                "server": c.server,
                "answers": len(c.answers),
                "max_gap_ms": round(1000 * max_gap(c.answers, start, end)),
                "lost": None if not c.lost else {"at_s": round(c.lost[0] - start, 3), "reason": c.lost[1]},
            }
            for c in conns
        ],
    }
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    for ph in phases:
        lost = ", ".join("#%d(%s, %s)" % (x["conn"], x["server"], x["reason"]) for x in ph["lost"][:10])
        if len(ph["lost"]) > 10:
            lost += ", ..."
        print(
            "  %-8s at %6.2f s: probe gap %5d ms, trickle max gap %5d ms, connections %d/%d survived%s"
            % (ph["phase"], ph["at_s"], ph["probe_gap_ms"], ph["trickle_max_gap_ms"], ph["conns_survived"],
               ph["conns_before"], "; lost: " + lost if lost else "")
        )
    print("  overall: %d/%d connections survived, %d trickle answers, %d probes answered, %d failed"
          % (results["survived"], a.conns, results["trickle_answers"], len(probe_ok), probe_failed))


if __name__ == "__main__":
    main()
