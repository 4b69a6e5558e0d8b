#!/usr/bin/env bash
# Side by side (issue 10, section 3): the same traffic through gale and through the load
# balancers people would otherwise use, on the namespace lab of lab/lib.sh, in one run.
#
#   bench/compare.sh BUILD_DIR [ROUNDS]         (root; ROUNDS default 3)
#
# Peers, interleaved per round (round 1: every peer, round 2: every peer, ...):
#   direct           no load balancer: the client talks to rs1's address (the baseline)
#   gale-dr-xdp      galed, DR, AF_XDP, 1 worker
#   gale-nat-xdp     galed, NAT, AF_XDP, 1 worker (and gale-nat-xdp-2w: 2 workers)
#   gale-nat-packet  galed, NAT, AF_PACKET, 1 worker
#   nftables         kernel DNAT in the gale namespace (numgen inc mod 3), galed not running
#   haproxy          HAProxy mode tcp on the VIP, balance roundrobin, 1 thread
#   nginx            nginx stream on the VIP (TCP and UDP), 1 worker process
# Per peer and round: wrk keep-alive (req/s, p50/p99), wrk with "Connection: close"
# (new connections/s), the CPU used meanwhile, and the highest 64-byte UDP rate forwarded
# with < 0.1% loss (gale-udpgen, counted at the servers' ingress). Raw results go to
# BUILD_DIR/bench-results/compare-raw.jsonl, medians to compare.jsonl (bench/compare_summary.py),
# and bench/report.py rewrites the "Side by side" section of docs/benchmarks.md.
#
# Environment: GALE_BUILD (galed, galectl; default BUILD_DIR), GALE_UDPGEN (default
# BUILD_DIR/gale-udpgen), GALE_COMPARE_PEERS (a subset, in order), GALE_COMPARE_SECONDS
# (each wrk run, default 5), GALE_COMPARE_DEADLINE (seconds; peers not started by then
# are reported as skipped, default 780), GALE_COMPARE_NO_REPORT=1 (leave the page alone).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "bench/compare.sh: needs root (network namespaces); skipped" >&2; exit 77; }
build=$(cd "${1:?usage: bench/compare.sh BUILD_DIR [ROUNDS]}" && pwd)
rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
export GALE_BUILD=${GALE_BUILD:-$build}
udpgen=${GALE_UDPGEN:-$build/gale-udpgen}
secs=${GALE_COMPARE_SECONDS:-5}
deadline=$((SECONDS + ${GALE_COMPARE_DEADLINE:-780}))
read -r -a peers <<<"${GALE_COMPARE_PEERS:-direct gale-dr-xdp gale-nat-xdp gale-nat-packet gale-nat-xdp-2w nftables haproxy nginx}"
for f in "$GALE_BUILD/galed" "$udpgen"; do
  [ -x "$f" ] || { echo "bench/compare.sh: $f not found" >&2; exit 1; }
done
out="$build/bench-results"
mkdir -p "$out"
raw="$out/compare-raw.jsonl"
: >"$raw"

export LAB=gcmp$$
# shellcheck source=lab/lib.sh
source "$root/lab/lib.sh"
UDP_PORT=9000

# Everything this script starts runs in a cpuacct cgroup of its own: on a shared machine
# (a CI run beside us) the whole machine's CPU says little, this cgroup's says what the
# benchmark itself used. Without cgroup v1 cpuacct the figure is left out.
cg=/sys/fs/cgroup/cpuacct/gale-compare-$$
if mkdir "$cg" 2>/dev/null && echo $$ >"$cg/cgroup.procs"; then :; else cg=""; fi
cleanup() {
  peer_down 2>/dev/null || true
  lab_down
  if [ -n "$cg" ]; then
    echo $$ >/sys/fs/cgroup/cpuacct/cgroup.procs 2>/dev/null || true
    rmdir "$cg" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- CPU counters --------------------------------------------------------------------
# Clock ticks (USER_HZ) of utime+stime of the given pids (field 14 and 15 of /proc/PID/stat,
# counted after the ") " that ends the command name).
ticks_of() {
  local p t=0
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo $t
}
hz=$(getconf CLK_TCK)
# Softirq work the kernel defers to ksoftirqd is charged to ksoftirqd, not to us: added to
# the cgroup's figure (these threads serve the CI beside us too; small either way).
read -r -a ksoftirqd <<<"$(for d in /proc/[0-9]*; do [[ $(cat "$d/comm" 2>/dev/null) == ksoftirqd/* ]] && echo "${d#/proc/}"; done | xargs)"
# The load balancer's processes: whatever runs in the gale namespace (galed, haproxy,
# nginx's master and worker); none for direct and nftables.
lb_pids() { ip netns pids "$(ns gale)" 2>/dev/null | xargs; }
# "machine bench lb" CPU seconds so far: /proc/stat's busy time (user nice system irq
# softirq steal), the cgroup's usage plus ksoftirqd, the load balancer's processes.
cpu_snap() {
  local m b=0 k l pids
  m=$(awk -v hz="$hz" '$1 == "cpu" {printf "%.3f", ($2 + $3 + $4 + $7 + $8 + $9) / hz}' /proc/stat)
  k=$(ticks_of "${ksoftirqd[@]}")
  [ -z "$cg" ] || b=$(awk -v k="$k" -v hz="$hz" '{printf "%.3f", $1 / 1e9 + k / hz}' "$cg/cpuacct.usage")
  read -r -a pids <<<"$(lb_pids)"
  l=$(ticks_of "${pids[@]}")
  echo "$m $b $(awk -v l="$l" -v hz="$hz" 'BEGIN {printf "%.3f", l / hz}')"
}

# The machine's busy CPUs over one second: busy jiffies over all jiffies (idle included),
# times the CPUs, so the time the two reads themselves take does not matter.
idle_load() {
  local a b
  a=$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  sleep 1
  b=$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {split(a, x, " "); split(b, y, " ");
    printf "%.2f", (y[1] - x[1]) / (y[2] - x[2]) * n}'
}

# --- output --------------------------------------------------------------------------
# One JSON object per line: record KEY=VALUE... (values that are numbers stay numbers).
record() {
  /usr/bin/python3 - "$@" >>"$raw" <<'PY'
import json, sys
obj = {}
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    try:
        obj[k] = json.loads(v) if v not in ("", "nan") else None
    except ValueError:
        obj[k] = v
print(json.dumps(obj))
PY
}
log() { echo "compare: $*" >&2; }
# A command as one would type it: arguments with spaces in double quotes.
shown() {
  local a out=""
  for a in "$@"; do [[ $a == *" "* ]] && out+="\"$a\" " || out+="$a "; done
  echo "${out% }"
}

# --- peers ---------------------------------------------------------------------------
routes_via() {  # the real servers' default route: router (DR, proxies) or gale (NAT)
  local gw=$LAB_ROUTER i
  [ "$1" = gale ] && gw=$LAB_GALE
  for i in 1 2 3; do in_ns rs$i ip route replace default via "$gw"; done
}
wait_listen() {  # until something in the gale namespace listens on TCP :80 (5 s at most)
  local t=0
  until [ -n "$(in_ns gale ss -Hltn 'sport = :80')" ]; do
    t=$((t + 1)); [ $t -lt 100 ] || return 1; sleep 0.05
  done
}
# The gale config's extra UDP service for the load (the lab's :5353 one is for replies).
gale_udp_conf() {
  echo "virtual_server $LAB_VIP $UDP_PORT {
  lb_algo rr
  lb_kind $1
  protocol UDP
  real_server ${LAB_RS[0]} $UDP_PORT { weight 1 }
  real_server ${LAB_RS[1]} $UDP_PORT { weight 1 }
  real_server ${LAB_RS[2]} $UDP_PORT { weight 1 }
}"
}
start_gale() {  # MODE WORKERS IO
  local kind=DR
  [ "$1" = nat ] && kind=NAT
  LAB_EXTRA_CONF=$(gale_udp_conf $kind) lab_start_gale "$@"
}

current=""
peer_up() {
  current=$1
  target=$LAB_VIP
  case $1 in
    direct) routes_via router; target=${LAB_RS[0]} ;;
    gale-dr-xdp) routes_via router; start_gale dr 1 af_xdp ;;
    gale-nat-xdp) routes_via gale; start_gale nat 1 af_xdp ;;
    gale-nat-xdp-2w) routes_via gale; start_gale nat 2 af_xdp ;;
    gale-nat-packet) routes_via gale; start_gale nat 1 af_packet ;;
    nftables)
      routes_via gale
      in_ns gale sysctl -qw net.ipv4.ip_forward=1
      local map
      map="{ 0 : ${LAB_RS[0]}, 1 : ${LAB_RS[1]}, 2 : ${LAB_RS[2]} }"
      in_ns gale nft -f - <<NFT
table ip gcmp {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $LAB_VIP tcp dport 80 dnat to numgen inc mod 3 map $map
    ip daddr $LAB_VIP udp dport $UDP_PORT dnat to numgen inc mod 3 map $map
  }
}
NFT
      ;;
    haproxy)
      routes_via router
      in_ns gale ip addr add "$LAB_VIP/32" dev lo
      cat >"$LAB_DIR/haproxy.cfg" <<CFG
global
  maxconn 8000
  nbthread 1
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
listen vip
  bind $LAB_VIP:80
  balance roundrobin
  server rs1 ${LAB_RS[0]}:80
  server rs2 ${LAB_RS[1]}:80
  server rs3 ${LAB_RS[2]}:80
CFG
      ip netns exec "$(ns gale)" haproxy -db -f "$LAB_DIR/haproxy.cfg" >"$LAB_DIR/haproxy.log" 2>&1 &
      echo $! >"$LAB_DIR/peer.pid"
      wait_listen
      ;;
    nginx)
      routes_via router
      in_ns gale ip addr add "$LAB_VIP/32" dev lo
      mkdir -p "$LAB_DIR/lbnginx"
      cat >"$LAB_DIR/lbnginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $LAB_DIR/lbnginx/nginx.pid;
error_log $LAB_DIR/lbnginx/error.log;
events { worker_connections 8192; }
stream {
  upstream web { server ${LAB_RS[0]}:80; server ${LAB_RS[1]}:80; server ${LAB_RS[2]}:80; }
  upstream load { server ${LAB_RS[0]}:$UDP_PORT; server ${LAB_RS[1]}:$UDP_PORT; server ${LAB_RS[2]}:$UDP_PORT; }
  server { listen $LAB_VIP:80 backlog=4096; proxy_pass web; }
  server { listen $LAB_VIP:$UDP_PORT udp; proxy_pass load; proxy_responses 0; }
}
CONF
      ip netns exec "$(ns gale)" nginx -c "$LAB_DIR/lbnginx/nginx.conf" -p "$LAB_DIR/lbnginx" \
        >"$LAB_DIR/lbnginx/out.log" 2>&1 &
      echo $! >"$LAB_DIR/peer.pid"
      wait_listen
      ;;
    *) log "unknown peer $1"; return 1 ;;
  esac
}
peer_down() {
  case $current in
    gale-*) lab_stop_gale; in_ns gale ip link set eth0 xdp off 2>/dev/null || true ;;
    nftables) in_ns gale nft delete table ip gcmp; in_ns gale sysctl -qw net.ipv4.ip_forward=0 ;;
    haproxy | nginx)
      local pid t=0
      pid=$(cat "$LAB_DIR/peer.pid")
      kill "$pid" 2>/dev/null || true
      # nginx's worker leaves with its master; wait for the namespace to be empty.
      while [ -n "$(lb_pids)" ] && [ $t -lt 100 ]; do sleep 0.05; t=$((t + 1)); done
      in_ns gale ip addr del "$LAB_VIP/32" dev lo
      ;;
  esac
  current=""
}

# --- measurements --------------------------------------------------------------------
# Six requests, each answered by a real server ("rs1".."rs3"); a load balancer must have
# used at least two of them. Prints what answered.
check_forwards() {
  local i a seen=""
  for i in 1 2 3 4 5 6; do
    a=$(in_ns client curl -s -m1 "http://$target/") || { echo "no answer to curl http://$target/"; return 1; }
    [[ $a =~ ^rs[123]$ ]] || { echo "curl http://$target/ answered '$a'"; return 1; }
    seen+="$a "
  done
  if [ "$current" != direct ] && [ "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c rs)" -lt 2 ]; then
    echo "one real server answered everything: $seen"; return 1
  fi
  echo "$seen"
}

ms() {  # wrk's latency ("812.00us", "1.20ms", "2.01s") in ms
  awk '{v = $1; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
        print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v)}'
}
# wrk with CPU counters around it. TEST: keepalive or close.
measure_http() {
  local round=$1 test=$2 hdr=() c0 c1 o
  [ "$test" = close ] && hdr=(-H "Connection: close")
  local cmd=(wrk -t2 -c32 "-d${secs}s" --latency "${hdr[@]}" "http://$target/")
  c0=$(cpu_snap)
  o=$(in_ns client timeout $((secs + 10)) "${cmd[@]}" 2>&1) || true
  c1=$(cpu_snap)
  local reqs errs non2xx
  reqs=$(awk '/requests in/ {print $1}' <<<"$o")
  errs=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' <<<"$o")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$o")
  if [ -z "$reqs" ] || [ "$reqs" -eq 0 ] || [ "${non2xx:-0}" -gt $((reqs / 100)) ]; then
    record round="$round" peer="$current" test="$test" ok=false why="wrk: ${o//$'\n'/ }" command="$(shown "${cmd[@]}")"
    log "$current $test FAILED: $o"
    return
  fi
  read -r m0 b0 l0 <<<"$c0"
  read -r m1 b1 l1 <<<"$c1"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$o")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$o" | ms)
  p99=$(awk '$1 == "99%" {print $2}' <<<"$o" | ms)
  local lb=""
  case $current in direct | nftables) ;; *) lb=$(awk "BEGIN {print $l1 - $l0}") ;; esac
  local bench=""
  [ -z "$cg" ] || bench=$(awk "BEGIN {print $b1 - $b0}")
  record round="$round" peer="$current" test="$test" ok=true rps="$rps" p50_ms="$p50" p99_ms="$p99" \
    requests="$reqs" errors="${errs:-0}" non2xx="${non2xx:-0}" machine_cpu_s="$(awk "BEGIN {print $m1 - $m0}")" \
    bench_cpu_s="$bench" lb_cpu_s="$lb" command="$(shown ip netns exec "$(ns client)" "${cmd[@]}")"
  log "$(printf '%-16s %-9s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s' "$current" "$test" "$rps" "$p50" "$p99" "${errs:-0}")"
}

# Datagrams counted at each server's ingress (netdev hook, then dropped: the servers'
# sockets and replies are not what is measured).
udp_count() {
  local i t=0
  for i in 1 2 3; do
    t=$((t + $(in_ns rs$i nft list counter netdev gcmp pkts | awk '/packets/ {print $2}')))
  done
  echo $t
}
# One UDP step: prints "sent received achieved_pps".
udp_step() {
  local rate=$1 r0 r1 o
  r0=$(udp_count)
  o=$(in_ns client timeout 10 "$udpgen" --dst "$target:$UDP_PORT" --rate "$rate" --seconds 1)
  sleep 0.2  # datagrams still in queues
  r1=$(udp_count)
  /usr/bin/python3 -c 'import json,sys; o=json.loads(sys.argv[1]); print(o["sent"], int(sys.argv[2]), o["pps"], o["seconds"])' "$o" $((r1 - r0))
}
# One step of the search at RATE: sets step_ok (< 0.1% loss), step_pps (received per
# second) and step_limited (the generator reached less than 95% of RATE).
udp_trial() {
  local rate=$1 sent recv pps took
  read -r sent recv pps took <<<"$(udp_step "$rate")"
  steps+="$rate:$sent:$recv "
  step_ok=false step_limited=false
  [ "$sent" -gt 0 ] && [ $((recv * 1000)) -ge $((sent * 999)) ] && step_ok=true
  step_pps=$(awk "BEGIN {printf \"%.0f\", $recv / $took}")
  if awk "BEGIN {exit !($pps < 0.95 * $rate)}"; then step_limited=true; fi
}
# The highest rate forwarded with < 0.1% loss: from 50k/s, double while a step passes
# (up to 800k/s, or until the generator cannot go faster), or halve while it fails (down
# to 6.25k/s); then bisect three times between the last pass and the first failure.
measure_udp() {
  local round=$1 rate=50000 good=0 good_pps=0 limited=false bad=0 i
  steps=""
  for i in 1 2 3 4 5; do
    udp_trial $rate
    if $step_ok; then
      good=$rate good_pps=$step_pps limited=$step_limited
      if [ "$bad" -ne 0 ] || $step_limited || [ $rate -ge 800000 ]; then break; fi
      rate=$((rate * 2))
    else
      bad=$rate
      [ "$good" -eq 0 ] || break
      rate=$((rate / 2))
    fi
  done
  for i in 1 2 3; do
    if [ "$bad" -eq 0 ] || [ "$good" -eq 0 ]; then break; fi
    rate=$(((good + bad) / 2))
    udp_trial $rate
    if $step_ok; then good=$rate good_pps=$step_pps limited=$step_limited; else bad=$rate; fi
  done
  local ucmd
  ucmd="ip netns exec $(ns client) gale-udpgen --dst $target:$UDP_PORT --rate R --seconds 1"
  if [ "$good" -eq 0 ]; then
    record round="$round" peer="$current" test=udp ok=false why="loss >= 0.1% at every rate tried (rate:sent:received $steps)" command="$ucmd"
    log "$current udp FAILED: $steps"
  else
    record round="$round" peer="$current" test=udp ok=true pps="$good_pps" rate="$good" \
      generator_limited=$limited steps="$steps" command="$ucmd"
    log "$(printf '%-16s udp       %9d pps forwarded (< 0.1%% loss; generator-limited: %s)' "$current" "$good_pps" "$limited")"
  fi
}

# --- the run -------------------------------------------------------------------------
lab_up dr
# The gale node forwards out of the interface it received on (nftables): no ICMP
# redirects, or the servers would send their replies around it.
in_ns gale sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
for i in 1 2 3; do
  in_ns rs$i nft -f - <<NFT
table netdev gcmp {
  counter pkts { }
  chain count { type filter hook ingress device eth0 priority 0; udp dport $UDP_PORT counter name pkts drop; }
}
NFT
done

t0=$SECONDS
for round in $(seq 1 "$rounds"); do
  # The machine's load with the lab idle: what the run shares the CPUs with.
  busy=$(idle_load)
  record round="$round" peer=machine test=idle busy_cores="$busy"
  log "round $round: machine busy $busy cores while the lab is idle"
  for p in "${peers[@]}"; do
    if [ $SECONDS -ge $deadline ]; then
      record round="$round" peer="$p" test=all ok=false why="skipped: past the run's time bound"
      log "$p skipped (time bound)"; continue
    fi
    if ! peer_up "$p" >"$LAB_DIR/peer-up.log" 2>&1; then
      record round="$round" peer="$p" test=all ok=false why="did not start: $(tr '\n' ' ' <"$LAB_DIR/peer-up.log")"
      log "$p did not start"; peer_down || true; continue
    fi
    if ! seen=$(check_forwards); then
      record round="$round" peer="$p" test=all ok=false why="does not forward: $seen"
      log "$p does not forward: $seen"; peer_down; continue
    fi
    record round="$round" peer="$p" test=check ok=true answered="$seen"
    measure_http "$round" keepalive
    measure_http "$round" close
    if [ "$p" = haproxy ]; then
      record round="$round" peer="$p" test=udp ok=false unsupported=true why="HAProxy does not proxy UDP"
    else
      measure_udp "$round"
    fi
    peer_down
  done
done
log "measured in $((SECONDS - t0)) s"

# The command as it was given, with the environment that changed what it ran.
env_used=""
[ "$GALE_BUILD" = "$build" ] || env_used+="GALE_BUILD=$GALE_BUILD "
for v in GALE_UDPGEN GALE_COMPARE_PEERS GALE_COMPARE_SECONDS; do
  if [ -n "${!v:-}" ]; then env_used+="$v=\"${!v}\" "; fi
done
/usr/bin/python3 "$root/bench/compare_summary.py" "$raw" "$out/compare.jsonl" \
  --command "${env_used}bench/compare.sh $1 $rounds" --seconds $((SECONDS - t0)) \
  --commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "${GALE_COMPARE_NO_REPORT:-0}" != 1 ]; then
  /usr/bin/python3 "$root/bench/report.py" --compare "$out/compare.jsonl" \
    --out "$root/docs/benchmarks.md" --img-dir "$root/docs/img"
fi
