#!/usr/bin/python3
"""Plots a failover lab timeline (tests/e2e/lab/ha_pair.sh's timeline.csv):
    tests/e2e/lab/ha_plot.py TIMELINE.csv OUT.png [TITLE]
Answers/s of the trickling connections and of the probe, and the live connections, over
time, the kill, the fail-back and each takeover (polled, so up to 100 ms late) marked. matplotlib where it is installed, else gnuplot
(Debian's `gnuplot-nox` is enough), else it says so and leaves the CSV as it is.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile


COLOURS = {"kill": "red", "failback": "dark-green"}  # gnuplot's names; takeovers grey


def colour(name, matplotlib=False):
    c = COLOURS.get(name, "grey")
    return c.replace("dark-", "dark") if matplotlib else c


def load(path):
    rows = list(csv.DictReader(open(path)))
    t = [float(r["t_s"]) for r in rows]
    series = {k: [float(r[k]) for r in rows] for k in ("trickle_rps", "probe_rps", "live_conns")}
    events = [(float(r["t_s"]), e) for r in rows for e in r["event"].split("+") if e]
    return t, series, events


def with_matplotlib(t, s, events, out, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(t, s["trickle_rps"], label="trickle answers/s", lw=1)
    ax.plot(t, s["probe_rps"], label="probe answers/s", lw=1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("answers/s")
    ax2 = ax.twinx()
    ax2.plot(t, s["live_conns"], color="black", ls="--", label="live connections")
    ax2.set_ylabel("live connections")
    ax2.set_ylim(0, max(s["live_conns"] + [1]) * 1.1)
    for x, name in events:
        ax.axvline(x, color=colour(name, True), lw=1, ls="-" if name in COLOURS else ":")
        ax.annotate(name, (x, ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=8)
    ax.set_title(title)
    fig.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def with_gnuplot(csv_path, events, out, title):
    arrows = "".join(
        'set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb "%s" lw 2\n'
        'set label "%s" at %g, graph 0.97 right rotate by 90 tc rgb "%s"\n'
        % (x, x, colour(n), n, x - 0.1, colour(n))
        for x, n in events
    )
    script = f"""set terminal pngcairo size 1000,450 noenhanced
set output "{out}"
set datafile separator ","
set title "{title}"
set xlabel "time (s)"
set ylabel "answers/s"
set y2label "live connections"
set ytics nomirror
set y2tics
set y2range [0:*]
set yrange [0:*]
set key bottom right opaque
{arrows}plot "{csv_path}" using 1:2 every ::1 with lines lw 1 title "trickle answers/s", \\
     "" using 1:3 every ::1 with lines lw 1 title "probe answers/s", \\
     "" using 1:4 every ::1 axes x1y2 with lines dt 2 lw 2 lc rgb "black" title "live connections"
"""
    with tempfile.NamedTemporaryFile("w", suffix=".gp", delete=False) as f:
        f.write(script)
    try:
        subprocess.run(["gnuplot", f.name], check=True)
    finally:
        os.unlink(f.name)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: ha_plot.py TIMELINE.csv OUT.png [TITLE]")
    path, out = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(out)
    t, s, events = load(path)
    try:
        import matplotlib  # noqa: F401

        with_matplotlib(t, s, events, out, title)
    except ImportError:
        if not shutil.which("gnuplot"):
            sys.exit("ha_plot: neither matplotlib nor gnuplot is installed; the CSV is %s" % path)
        with_gnuplot(os.path.abspath(path), events, out, title)
    print("ha_plot: wrote", out)


if __name__ == "__main__":
    main()
