#!/usr/bin/env bash
# A flow that ECMP moves between gale nodes keeps its real server (mh services):
#   tests/e2e/lab/ecmp.sh BUILD_DIR
# Two galed nodes (A with 2 workers, B with 1) run one config -- VIP:80, DR, lb_algo mh
# -- beside three nginx real servers; a router sends the VIP to A. The client downloads
# a file slowly (curl --limit-rate) over one TCP connection; mid-transfer the router's
# route moves to B, as ECMP would after A's withdrawal. B has no flow for the
# connection and must adopt it through the Maglev table, which both nodes build alike,
# so the client's segments reach the same server: the download completes intact, the
# server logs exactly one request on the client's port, and B's counters show it
# forwarded the connection. No drop counter moves on either node.
#
#   client -- router -- switch --+-- galeA (10.99.2.2)   +-- rs1 rs2 rs3 (VIP on lo)
#                                +-- galeB (10.99.2.3)
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=gle$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
NODES=(galeA galeB)
NODE_ADDR=(10.99.2.2 10.99.2.3)
NODE_WORKERS=(2 1)
ALL_NS=(client router switch "${NODES[@]}" rs1 rs2 rs3)
SIZE=$((1536 * 1024))  # bytes downloaded; at 256 KiB/s, about 6 s

down() {
  local n pids f
  for f in "$LAB_DIR"/*.pid "$LAB_DIR"/*/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for n in "${ALL_NS[@]}"; do
    pids=$(ip netns pids "$(ns "$n")" 2>/dev/null || true)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
  done
  sleep 0.2
  for n in "${ALL_NS[@]}"; do ip netns del "$(ns "$n")" 2>/dev/null || true; done
  rm -rf "$LAB_DIR"
}
trap down EXIT

fail() {
  echo "FAIL (ecmp): $*" >&2
  local n
  for n in "${NODES[@]}"; do
    echo "-- $n" >&2
    tail -5 "$LAB_DIR/$n.log" >&2 || true
    node_ctl "$n" '{"cmd":"stats"}' 2>/dev/null | head -c 1500 >&2 || true
    echo >&2
  done
  exit 1
}
pass() { echo "ok (ecmp): $*"; }
node_ctl() { in_ns "$1" socat -t2 - UNIX-CONNECT:"$LAB_DIR/$1.sock" <<<"$2"; }
# A counter of a node's stats, summed over its workers.
worker_sum() {
  node_ctl "$1" '{"cmd":"stats"}' |
    /usr/bin/python3 -c "import json,sys; print(sum(w.get('$2', 0) for w in json.load(sys.stdin)['workers']))"
}

# ---- the lab ----
mkdir -p "$LAB_DIR"
for n in "${ALL_NS[@]}"; do
  ip netns add "$(ns "$n")"
  in_ns "$n" ip link set lo up
done
in_ns switch sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
in_ns switch ip link add br0 type bridge
in_ns switch ip link set br0 up
lab_link client eth0 router eth0
lab_link router eth1 switch r
for n in "${NODES[@]}" rs1 rs2 rs3; do
  lab_link "$n" eth0 switch "$n"
  in_ns switch ip link set "$n" master br0
done
in_ns switch ip link set r master br0
in_ns client ip addr add $LAB_CLIENT/24 dev eth0
in_ns client ip route add default via 10.99.1.1
# A small receive buffer keeps the server from running far ahead of the rate-limited
# reader: the client's ACKs (what gale forwards in DR) go on flowing after the move.
in_ns client sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
in_ns router ip addr add 10.99.1.1/24 dev eth0
in_ns router ip addr add $LAB_ROUTER/24 dev eth1
in_ns router sysctl -qw net.ipv4.ip_forward=1
in_ns router ip route add $LAB_VIP/32 via "${NODE_ADDR[0]}"
lab_no_offload client eth0
lab_no_offload router eth0
lab_no_offload router eth1
for k in 0 1; do
  in_ns "${NODES[$k]}" ip addr add "${NODE_ADDR[$k]}/24" dev eth0
  in_ns "${NODES[$k]}" ip route add default via $LAB_ROUTER
  lab_no_offload "${NODES[$k]}" eth0
done

# Real servers: DR (VIP on lo), nginx serving one file and logging each request's
# client port and bytes sent.
head -c $SIZE /dev/urandom >"$LAB_DIR/blob"
want_sum=$(sha256sum <"$LAB_DIR/blob" | cut -d' ' -f1)
for i in 1 2 3; do
  rs=rs$i dir="$LAB_DIR/rs$i"
  mkdir -p "$dir/www"
  ln "$LAB_DIR/blob" "$dir/www/blob"
  in_ns $rs ip addr add "${LAB_RS[$((i - 1))]}/24" dev eth0
  in_ns $rs ip route add default via $LAB_ROUTER
  lab_no_offload $rs eth0
  in_ns $rs "$LAB_ROOT/scripts/gale-realserver" dr $LAB_VIP
  cat >"$dir/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
  log_format conn "\$remote_addr \$remote_port \$status \$body_bytes_sent";
  access_log $dir/access.log conn;
  server {
    listen 80;
    root $dir/www;
    location /name { return 200 "$rs\n"; }
  }
}
NGINX
  ip netns exec "$(ns $rs)" nginx -c "$dir/nginx.conf" -p "$dir" >/dev/null 2>&1 &
done
for i in 1 2 3; do
  t=0
  until in_ns rs$i curl -sf -m1 -o /dev/null http://127.0.0.1/name; do
    t=$((t + 1)); [ $t -lt 100 ] || fail "nginx on rs$i did not start"; sleep 0.05
  done
done

# The same config on both nodes (but the control socket); node B's worker count differs
# on purpose: the real server a flow gets must not depend on it.
for k in 0 1; do
  n=${NODES[$k]}
  for a in "${LAB_RS[@]}" $LAB_ROUTER; do in_ns "$n" ping -c1 -W1 "$a" >/dev/null 2>&1 || true; done
  cat >"$LAB_DIR/$n.conf" <<CONF
gale {
  interfaces eth0
  workers ${NODE_WORKERS[$k]}
  io af_xdp
  flows 4096
  flows6 1024
  control_socket $LAB_DIR/$n.sock
}
virtual_server $LAB_VIP 80 {
  lb_algo ${GALE_ECMP_SCHED:-mh}
  lb_kind DR
  protocol TCP
  real_server ${LAB_RS[0]} 80 { weight 1 }
  real_server ${LAB_RS[1]} 80 { weight 1 }
  real_server ${LAB_RS[2]} 80 { weight 1 }
}
CONF
  ip netns exec "$(ns "$n")" "$GALE_BUILD/galed" -f "$LAB_DIR/$n.conf" >"$LAB_DIR/$n.log" 2>&1 &
  echo $! >"$LAB_DIR/$n.pid"
done
for n in "${NODES[@]}"; do
  t=0
  until [[ $(node_ctl "$n" '{"cmd":"stats"}' 2>/dev/null) == *'"ok":true'* ]]; do
    t=$((t + 1))
    [ $t -lt 200 ] && kill -0 "$(cat "$LAB_DIR/$n.pid")" 2>/dev/null || fail "galed on $n did not start"
    sleep 0.05
  done
done
pass "two galed nodes up (A: ${NODE_WORKERS[0]} workers, B: ${NODE_WORKERS[1]}), one config: DR, ${GALE_ECMP_SCHED:-mh}"

# ---- one slow download, moved from A to B mid-transfer ----
# A first connection through A moves any per-node scheduler state (an rr cursor) away
# from B's, so only a scheduler both nodes share passes: GALE_ECMP_SCHED=rr shows the
# test failing for a scheduler that is not the Maglev table.
in_ns client curl -sf -m3 -o /dev/null "http://$LAB_VIP/name" || fail "first request failed"
for i in 1 2 3; do : >"$LAB_DIR/rs$i/access.log"; done
in_ns client curl -sf -m60 --limit-rate 256k -o "$LAB_DIR/got" -w '%{local_port}\n' \
  "http://$LAB_VIP/blob" >"$LAB_DIR/curl.out" 2>"$LAB_DIR/curl.err" &
curl_pid=$!
t=0
until [ "$(stat -c %s "$LAB_DIR/got" 2>/dev/null || echo 0)" -ge $((SIZE / 8)) ]; do
  t=$((t + 1))
  [ $t -lt 400 ] && kill -0 $curl_pid 2>/dev/null || fail "the download did not get going: $(cat "$LAB_DIR/curl.err")"
  sleep 0.05
done
b_before=$(worker_sum galeB tx)
in_ns router ip route replace $LAB_VIP/32 via "${NODE_ADDR[1]}"
pass "route moved to B after $(stat -c %s "$LAB_DIR/got") of $SIZE bytes"
wait $curl_pid || fail "the download broke after the move (curl: $(cat "$LAB_DIR/curl.err"))"
port=$(cat "$LAB_DIR/curl.out")

got_sum=$(sha256sum <"$LAB_DIR/got" | cut -d' ' -f1)
[ "$got_sum" = "$want_sum" ] || fail "the file arrived changed or cut: $(stat -c %s "$LAB_DIR/got") bytes"
b_after=$(worker_sum galeB tx)
[ $((b_after - b_before)) -gt 10 ] || fail "B forwarded $((b_after - b_before)) frames: the route move did not happen"
# The server each node sent the connection to (its per-server connection counts).
server_of() {
  node_ctl "$1" '{"cmd":"stats"}' | /usr/bin/python3 -c '
import json, sys
print(" ".join(r["addr"] for r in json.load(sys.stdin)["real_servers"] if r["conns"]))'
}
on_a=$(server_of galeA)
on_b=$(server_of galeB)
[ -n "$on_a" ] && [ "$on_a" = "$on_b" ] || fail "A sent the connection to '$on_a', B to '$on_b'"
lines=$(cat "$LAB_DIR"/rs*/access.log)
[ "$(echo "$lines" | wc -l)" -eq 1 ] || fail "servers logged more than one request: $lines"
read -r addr rport status bytes <<<"$lines"
[ "$addr $rport $status $bytes" = "$LAB_CLIENT $port 200 $SIZE" ] ||
  fail "server log '$lines', expected '$LAB_CLIENT $port 200 $SIZE'"
pass "the connection from port $port went on through B to the same server ($on_b): $SIZE bytes intact, B forwarded $((b_after - b_before)) frames"

for n in "${NODES[@]}"; do
  node_ctl "$n" '{"cmd":"stats"}' | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
bad = {k: v for k, v in s.get("drops", {}).items() if v}
for i, w in enumerate(s["workers"]):
    bad.update({f"worker{i}.{k}": v for k, v in w.items() if "drop" in k and v})
sys.exit(f"dropped: {bad}" if bad else 0)' || fail "$n dropped frames"
done
pass "no drops on either node"
echo "e2e ecmp: 1 passed, 0 failed"
