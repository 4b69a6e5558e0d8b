#!/usr/bin/env bash
# One worker against two on the namespace lab (issue 10, "I/O"): the lab's veth delivers
# every frame on one queue, so with two workers the receiving one hands about half of
# them to the other (io/handoff.h). Prints, per worker count, the median of ROUNDS runs:
#   keep-alive requests/s and wrk's p50/p99 latency (wrk -t2 -c16, 4 s, through the VIP);
#   the share of the frames the workers received that they handed to another (ho %);
#   a 64 MiB download through the VIP: seconds, frames lost at the hand-off rings
#   (handoff_dropped) and segments the server retransmitted.
#
#   bench/lab-workers.sh BUILD_DIR [MODE [IO [ROUNDS]]]     MODE: dr nat fullnat (fullnat)
#   LAB_QUEUES=2 bench/lab-workers.sh ...   every veth with 2 active queues (lab/lib.sh):
#                                           each worker reads its own
#
# Root only: it builds the lab in network namespaces of its own and removes them.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "bench/lab-workers.sh: needs root (network namespaces)" >&2; exit 2; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
mode=${2:-fullnat}
io=${3:-af_xdp}
rounds=${4:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
export LAB=glw$$
source "$root/lab/lib.sh"
trap lab_down EXIT

lab_up "$mode"
head -c $((64 << 20)) /dev/urandom >"$LAB_DIR/big.bin"
for i in 1 2 3; do mkdir -p "$LAB_DIR/rs$i/files" && cp "$LAB_DIR/big.bin" "$LAB_DIR/rs$i/files/"; done
stat_of() { lab_ctl '{"cmd":"stats"}' | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
retrans() {
  local n total=0
  for n in rs1 rs2 rs3; do
    total=$((total + $(in_ns $n nstat -az TcpRetransSegs | awk '$1 == "TcpRetransSegs" {print $2}')))
  done
  echo $total
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ms() {  # wrk's latency ("812.00us", "1.20ms", "2.01s") in ms
  awk '{v = $1; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
        print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v)}'
}

printf '%-8s %10s %9s %9s %6s %9s %9s %9s\n' workers "req/s" "p50 ms" "p99 ms" "ho %" "64MiB s" "ho-drop" retrans
for workers in 1 2; do
  lab_start_gale "$mode" "$workers" "$io"
  rps=() p50=() p99=() ho=() secs=() drops=() re=()
  for r in $(seq 1 "$rounds"); do
    rx0=$(stat_of rx) out0=$(stat_of handoff_out)
    out=$(in_ns client wrk -t2 -c16 -d4s --latency "http://$LAB_VIP/")
    # rx counts a handed frame twice (the receiver's, the owner's): frames off the wire
    # are rx - handoff_out.
    d_out=$(($(stat_of handoff_out) - out0))
    ho+=("$((d_out * 100 / ($(stat_of rx) - rx0 - d_out + 1)))")
    rps+=("$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")")
    p50+=("$(awk '$1 == "50%" {print $2}' <<<"$out" | ms)")
    p99+=("$(awk '$1 == "99%" {print $2}' <<<"$out" | ms)")
    d0=$(stat_of handoff_dropped) r0=$(retrans)
    t=$(in_ns client curl -sf -m60 -o /dev/null -w '%{time_total}' "http://$LAB_VIP/files/big.bin")
    secs+=("$t")
    drops+=($(($(stat_of handoff_dropped) - d0)))
    re+=($(($(retrans) - r0)))
  done
  printf '%-8s %10s %9s %9s %6s %9s %9s %9s\n' "$workers" \
    "$(printf '%s\n' "${rps[@]}" | median)" "$(printf '%s\n' "${p50[@]}" | median)" \
    "$(printf '%s\n' "${p99[@]}" | median)" "$(printf '%s\n' "${ho[@]}" | median)" \
    "$(printf '%s\n' "${secs[@]}" | median)" \
    "$(printf '%s\n' "${drops[@]}" | median)" "$(printf '%s\n' "${re[@]}" | median)"
  lab_stop_gale
done
