#!/usr/bin/env bash
# End-to-end test of one forwarding mode through galed on real interfaces:
#   tests/e2e/lab/modes.sh MODE IO BUILD_DIR
#   MODE: dr nat fullnat tun (VXLAN, kernel decap) tun-ipip tun-gue (galed --decap); IO: af_xdp af_packet
# In namespaces of its own (lab/lib.sh), deleted on exit whatever happens: a client,
# a router, gale with 2 workers, three nginx real servers with wrr weights 1:2:3.
# Checks: curl answers through the VIP; the server sees the client's address (FullNAT:
# the local address); UDP request/response; a 10 s wrk run with no socket errors whose
# requests split 1:2:3 within 4 points; flows on both workers; a real server killed and
# taken out by hand gets no new connection while an established one elsewhere goes on.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
mode=${1:?mode}
io=${2:?io}
export GALE_BUILD=$(cd "${3:?build dir}" && pwd)
export LAB=gle$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT

fail() {
  echo "FAIL ($mode/$io): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -20 "$LAB_DIR/galed.log" >&2
  lab_ctl '{"cmd":"stats"}' 2>/dev/null | head -c 3000 >&2 || true
  exit 1
}
pass() { echo "ok ($mode/$io): $*"; }

lab_up "$mode"
lab_start_gale "$mode" 2 "$io"

# 1. curl through the VIP.
declare -A seen=()
for i in $(seq 1 30); do
  body=$(in_ns client curl -sf -m3 "http://$LAB_VIP/") || fail "curl $i failed"
  case $body in rs1 | rs2 | rs3) seen[$body]=1 ;; *) fail "unexpected answer '$body'" ;; esac
done
[ ${#seen[@]} -eq 3 ] || fail "30 requests reached only ${!seen[*]}"
pass "30 curl requests answered by rs1 rs2 rs3"

# 2. The address the real server sees.
who=$(in_ns client curl -sf -m3 "http://$LAB_VIP/whoami") || fail "whoami failed"
want=$LAB_CLIENT
[ "$mode" = fullnat ] && want=$LAB_LADDR
[ "$who" = "$want" ] || fail "server saw $who, expected $want"
pass "the real server sees $who"

# 3. UDP request/response. A client retries a lost datagram (as a DNS resolver does);
#    more than one try is reported, three failures fail the test.
udp="" tries=0
while [ -z "$udp" ] && [ $tries -lt 3 ]; do
  tries=$((tries + 1))
  udp=$(echo ping | in_ns client socat -t2 - "UDP:$LAB_VIP:5353" || true)
done
case $udp in rs1 | rs2 | rs3) pass "UDP answered by $udp (try $tries)" ;; *) fail "udp answer '$udp' after $tries tries" ;; esac

# 4. wrk for 10 s, a new connection per request (so requests split as connections
#    are scheduled): no socket errors; requests split 1:2:3.
for i in 1 2 3; do : >"$LAB_DIR/rs$i/access.log"; done
out=$(in_ns client wrk -t2 -c32 -d10s -H "Connection: close" "http://$LAB_VIP/" 2>&1) || fail "wrk failed: $out"
echo "$out" | grep -E "Requests/sec|requests in" | sed "s/^/  /"
! echo "$out" | grep -q "Socket errors" || fail "wrk socket errors: $(echo "$out" | grep 'Socket errors')"
! echo "$out" | grep -q "Non-2xx" || fail "wrk got non-2xx answers"
total=0
declare -a n
for i in 1 2 3; do
  n[$i]=$(wc -l <"$LAB_DIR/rs$i/access.log")
  total=$((total + n[$i]))
done
[ "$total" -gt 1000 ] || fail "only $total requests reached the servers"
for i in 1 2 3; do
  share=$((n[$i] * 1000 / total))  # per mille
  ideal=$((i * 1000 / 6))
  diff=$((share > ideal ? share - ideal : ideal - share))
  echo "  rs$i: ${n[$i]} requests, $((share / 10)).$((share % 10))% (weight $i: $((ideal / 10)).$((ideal % 10))%)"
  [ $diff -le 40 ] || fail "rs$i got $share per mille, expected $ideal +- 40"
done
pass "wrk: $total requests, shares within 4 points of 1:2:3, no socket errors"

stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" <<'PY' || fail "flows not on both workers: $stats"
import json, sys
w = json.loads(sys.argv[1])["workers"]
assert len(w) == 2 and all(x["flows_created"] > 0 for x in w), w
PY
pass "flows created on both workers"

# 5. Kill a real server mid-run. A keep-alive connection is opened first and told its
#    server; another server is the victim: killed, then taken out by hand (health
#    checks come later). New connections must avoid it; the kept one must go on.
in_ns client /usr/bin/python3 - "$LAB_VIP" "$LAB_DIR" >"$LAB_DIR/keep.out" 2>&1 <<'PY' &
import os, socket, sys, time
vip, d = sys.argv[1], sys.argv[2]
s = socket.create_connection((vip, 80), timeout=5)
def get():
    s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith((b"rs1", b"rs2", b"rs3")):
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed")
        data += chunk
    return data.decode().split()[-1]
first = get()
open(os.path.join(d, "keep.server"), "w").write(first)
deadline = time.time() + 30
while not os.path.exists(os.path.join(d, "keep.go")):
    if time.time() > deadline:
        raise SystemExit("timed out waiting")
    time.sleep(0.02)
second = get()
print(first, second)
PY
keep_pid=$!
tries=0
until [ -s "$LAB_DIR/keep.server" ]; do
  tries=$((tries + 1)); [ $tries -lt 250 ] || fail "keep-alive connection did not start"; sleep 0.02
done
kept=$(cat "$LAB_DIR/keep.server")
victim=rs1; [ "$kept" = rs1 ] && victim=rs2
vi=${victim#rs}
kill "$(cat "$LAB_DIR/$victim/nginx.pid")"
answer=$(lab_ctl "{\"cmd\":\"set_health\",\"vip\":\"$LAB_VIP\",\"vport\":80,\"proto\":\"tcp\",\"rs\":\"${LAB_RS[$((vi - 1))]}\",\"rs_port\":80,\"healthy\":false}")
echo "$answer" | grep -q '"ok":true' || fail "set_health: $answer"
for i in $(seq 1 30); do
  body=$(in_ns client curl -sf -m3 "http://$LAB_VIP/") || fail "curl $i after the kill failed"
  [ "$body" != "$victim" ] || fail "a new connection went to the dead $victim"
done
touch "$LAB_DIR/keep.go"
wait $keep_pid || fail "the established connection broke: $(cat "$LAB_DIR/keep.out")"
read -r a b <"$LAB_DIR/keep.out"
[ "$a" = "$kept" ] && [ "$b" = "$kept" ] || fail "established connection moved: $a -> $b"
pass "$victim killed and taken out: 30 new connections avoided it; the connection to $kept went on"

lab_stop_gale
! in_ns gale ip link show eth0 | grep -q " xdp" || fail "XDP program still attached after SIGTERM"
pass "galed stopped; XDP program detached"
echo "e2e $mode/$io: 1 passed, 0 failed"
