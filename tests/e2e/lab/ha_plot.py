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

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[2, 1])
    top.plot(t, s["trickle_rps"], label="trickle answers/s", lw=1)
    top.set_ylabel("trickle answers/s")
    live = top.twinx()
    live.plot(t, s["live_conns"], color="black", ls="--", label="live connections")
    live.set_ylabel("live connections")
    live.set_ylim(0, max(s["live_conns"] + [1]) * 1.2)
    bottom.plot(t, s["probe_rps"], color="tab:green", lw=1)
    bottom.set_ylabel("probe answers/s")
    bottom.set_xlabel("time (s)")
    for ax in (top, bottom):
        ax.set_ylim(bottom=0)
        for x, name in events:
            ax.axvline(x, color=colour(name, True), lw=1, ls="-" if name in COLOURS else ":")
    for x, name in events:
        top.annotate(name, (x, top.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=8)
    top.set_title(title)
    fig.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def with_gnuplot(csv_path, events, out, title, max_live):
    marks = "".join(
        'set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb "%s" lw 2 %s\n'
        % (x, x, colour(n), "" if n in COLOURS else "dt 3")
        for x, n in events
    )
    labels = "".join(
        'set label "%s" at %g, graph 0.6 right rotate by 90 tc rgb "%s"\n' % (n, x - 0.1, colour(n))
        for x, n in events
    )
    script = f"""set terminal pngcairo size 1000,600 noenhanced
set output "{out}"
set datafile separator ","
set multiplot layout 2,1 title "{title}"
set lmargin 10
set rmargin 10
set key top left horizontal
set ylabel "trickle answers/s"
set y2label "live connections"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:{max(max_live, 1) * 1.3:g}]
set offsets 0, 0, graph 0.15, 0
{marks}{labels}plot "{csv_path}" using 1:2 every ::1 with lines lw 1 title "trickle answers/s", \\
     "" using 1:4 every ::1 axes x1y2 with lines dt 2 lw 2 lc rgb "black" title "live connections"
unset label
unset y2label
unset y2tics
set xlabel "time (s)"
set ylabel "probe answers/s"
plot "{csv_path}" using 1:3 every ::1 with lines lw 1 lc rgb "dark-green" title "probe answers/s (a fresh connection every 10 ms)"
unset multiplot
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
        with_gnuplot(os.path.abspath(path), events, out, title, max(s["live_conns"]))
    print("ha_plot: wrote", out)


if __name__ == "__main__":
    main()
