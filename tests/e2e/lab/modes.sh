#!/usr/bin/env bash
# End-to-end test of one forwarding mode through galed on real interfaces:
#   tests/e2e/lab/modes.sh MODE IO BUILD_DIR [FAMILY]
#   MODE: dr nat fullnat tun (VXLAN, kernel decap) tun-ipip tun-gue (galed --decap); IO: af_xdp af_packet
#   FAMILY: 4 (default) or 6: the same suite against the IPv6 VIP and real servers of the
#   lab dual-stack (LAB_V6=1; TUN over IPv6 is VXLAN, IP6IP6 and GUE over IPv6)
# In namespaces of its own (lab/lib.sh), deleted on exit whatever happens: a client,
# a router, gale with 2 workers, three nginx real servers with wrr weights 1:2:3.
# Checks: curl answers through the VIP; the server sees the client's address (FullNAT:
# the local address); the first UDP datagram is answered; a 10 s wrk run with no socket
# errors whose requests split 1:2:3 as wrr must (exact over whole cycles, see step 4);
# flows on both workers; no drop counter moves; a real server killed and taken out by
# hand gets no new connection while an established one elsewhere goes on. IPv6 also:
# in the TUN modes a 1 MiB upload in segments that outgrow the path once encapsulated
# completes after gale's ICMPv6 Packet Too Big; the IPv4 VIP beside still answers.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
mode=${1:?mode}
io=${2:?io}
export GALE_BUILD=$(cd "${3:?build dir}" && pwd)
family=${4:-4}
export LAB=gle$$ LAB_V6=0
[ "$family" = 6 ] && LAB_V6=1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
# The family's addresses; URLs put an IPv6 address in brackets (curl -g).
if [ "$family" = 6 ]; then
  vip=$LAB_VIP6 host="[$LAB_VIP6]" client=$LAB_CLIENT6 laddrs=("${LAB_LADDRS6[@]}") rs_addrs=("${LAB_RS6[@]}")
  tag="ipv6 $mode"
else
  vip=$LAB_VIP host=$LAB_VIP client=$LAB_CLIENT laddrs=("${LAB_LADDRS[@]}") rs_addrs=("${LAB_RS[@]}")
  tag=$mode
fi

fail() {
  echo "FAIL ($tag/$io): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -20 "$LAB_DIR/galed.log" >&2
  lab_ctl '{"cmd":"stats"}' 2>/dev/null | head -c 3000 >&2 || true
  exit 1
}
pass() { echo "ok ($tag/$io): $*"; }

# Nothing in this test should be dropped (lab_no_drops).
no_drops() { lab_no_drops || fail "drops after $1"; }

workers=2
lab_up "$mode"
lab_start_gale "$mode" $workers "$io"

# 1. curl through the VIP.
declare -A seen=()
for i in $(seq 1 30); do
  body=$(in_ns client curl -sf -m3 -g "http://$host/") || fail "curl $i failed"
  case $body in rs1 | rs2 | rs3) seen[$body]=1 ;; *) fail "unexpected answer '$body'" ;; esac
done
[ ${#seen[@]} -eq 3 ] || fail "30 requests reached only ${!seen[*]}"
pass "30 curl requests answered by rs1 rs2 rs3"

# 2. The address the real server sees.
who=$(in_ns client curl -sf -m3 -g "http://$host/whoami") || fail "whoami failed"
want=$client
[ "$mode" = fullnat ] && want="${laddrs[*]}"
[[ " $want " == *" $who "* ]] || fail "server saw $who, expected $want"
pass "the real server sees $who"

# 3. UDP request/response: the first datagram must be answered. Nothing on the path may
#    lose it: the client resolves the router on first contact (the kernel queues the
#    datagram meanwhile), gale's neighbours are resolved before it starts, and the
#    responders are bound, to the VIP in DR/TUN, before lab_up returns. (The losses
#    that three tries used to hide were the lab's own, lab/lib.sh: a responder bound to
#    0.0.0.0 by a pipefail race answered from the server's address, and socat's forked
#    responder sometimes never answered.)
udp=$(echo ping | in_ns client socat -t3 - "UDP$family:$host:5353" || true)
case $udp in
  rs1 | rs2 | rs3) pass "the first UDP datagram answered by $udp" ;;
  *)
    # Where it was lost: each namespace's kernel UDP/IP counters (a server that got it
    # and answered counts UdpOutDatagrams; a reply that reached gale's kernel instead of
    # its sockets counts in gale's Ip*), with galed's per-server counters from fail().
    for n in client gale rs1 rs2 rs3; do
      echo "$n: $(in_ns $n nstat -az 2>/dev/null | awk '$1 ~ /^(Udp6?In|Udp6?Out|Udp6?NoPorts|Ip6?InReceives|Ip6?InAddrErrors|Ip6?OutNoRoutes|IpExtInNoRoutes)/ && $2 {printf "%s=%s ", $1, $2}')" >&2
    done
    fail "udp answer '$udp'"
    ;;
esac

# 4. wrk for 10 s, a new connection per request (so requests split as connections
#    are scheduled): no socket errors; requests split 1:2:3. The bound: wrr with weights
#    1:2:3 gives each cycle of 6 connections exactly 1, 2, 3; each worker runs its own
#    cursor, and any run of a worker's connections (partial cycles at both ends) is
#    within 1 of the ideal per server, so all workers within $workers. wrk's last
#    connections may be scheduled but never logged (at most its 32 in flight).
#    Allowed: |n_i - total * i / 6| <= workers + 32, about 0.05% of a run's ~50-100k
#    requests (a lost request, a reset scheduler or a wrong weight shows far above it).
for i in 1 2 3; do : >"$LAB_DIR/rs$i/access.log"; done
out=$(in_ns client wrk -t2 -c32 -d10s -H "Connection: close" "http://$host/" 2>&1) || fail "wrk failed: $out"
echo "$out" | grep -E "Requests/sec|requests in" | sed "s/^/  /"
# Matched in the shell, never `| grep -q`: under pipefail, grep's early exit can fail
# the writer (EPIPE) and turn a match into a miss (lab/lib.sh).
[[ $out != *"Socket errors"* ]] || fail "wrk socket errors: $(echo "$out" | grep 'Socket errors')"
[[ $out != *"Non-2xx"* ]] || fail "wrk got non-2xx answers"
total=0
declare -a n
for i in 1 2 3; do
  n[$i]=$(wc -l <"$LAB_DIR/rs$i/access.log")
  total=$((total + n[$i]))
done
[ "$total" -gt 1000 ] || fail "only $total requests reached the servers"
slack=$((workers + 32))
for i in 1 2 3; do
  # Compared in sixths, so the ideal total * i / 6 needs no rounding.
  off=$((n[$i] * 6 - total * i))
  off=${off#-}
  echo "  rs$i: ${n[$i]} requests (weight $i: ideal $((total * i / 6)), off by $((off / 6)))"
  [ $off -le $((slack * 6)) ] || fail "rs$i got ${n[$i]} of $total, ideal $((total * i / 6)) +- $slack"
done
pass "wrk: $total requests, each server within $slack of its 1:2:3 share, no socket errors"
no_drops "wrk"
pass "no drops"

stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" $workers <<'PY' || fail "flows not on every worker: $stats"
import json, sys
w = json.loads(sys.argv[1])["workers"]
assert len(w) == int(sys.argv[2]) and all(x["flows_created"] > 0 for x in w), w
PY
pass "flows created on all $workers workers"

# 5. Kill a real server mid-run. A keep-alive connection is opened first and told its
#    server; another server is the victim: killed, then taken out by hand (health
#    checks come later). New connections must avoid it; the kept one must go on.
in_ns client /usr/bin/python3 - "$vip" "$LAB_DIR" >"$LAB_DIR/keep.out" 2>&1 <<'PY' &
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
answer=$(lab_ctl "{\"cmd\":\"set_health\",\"service\":{\"vip\":\"$vip\",\"port\":80,\"proto\":\"tcp\"},\"dest\":{\"addr\":\"${rs_addrs[$((vi - 1))]}\",\"port\":80},\"healthy\":false}")
[[ $answer == *'"ok":true'* ]] || fail "set_health: $answer"
for i in $(seq 1 30); do
  body=$(in_ns client curl -sf -m3 -g "http://$host/") || fail "curl $i after the kill failed"
  [ "$body" != "$victim" ] || fail "a new connection went to the dead $victim"
done
touch "$LAB_DIR/keep.go"
wait $keep_pid || fail "the established connection broke: $(cat "$LAB_DIR/keep.out")"
read -r a b <"$LAB_DIR/keep.out"
[ "$a" = "$kept" ] && [ "$b" = "$kept" ] || fail "established connection moved: $a -> $b"
pass "$victim killed and taken out: 30 new connections avoided it; the connection to $kept went on"
no_drops "the kill"
pass "still no drops"

# 6. IPv6, TUN: path MTU. Every link is 1500 bytes, so the client's full-size segments
#    (1440 bytes of data) no longer fit once encapsulated: gale answers ICMPv6 Packet Too
#    Big with the room left, the client's kernel learns it (its route cache), and an
#    upload in full-size segments completes in the smaller ones.
if [ "$family" = 6 ] && [[ $mode == tun* ]]; then
  head -c $((1 << 20)) /dev/urandom >"$LAB_DIR/up.bin"
  code=$(in_ns client curl -s -m10 -g -o /dev/null -w '%{http_code}' -H 'Expect:' \
    --data-binary @"$LAB_DIR/up.bin" "http://$host/") || fail "1 MiB upload failed: $code"
  [ "$code" = 200 ] || fail "1 MiB upload: HTTP $code"
  learnt=$(in_ns client ip -6 route get "$vip" | grep -o 'mtu [0-9]*' || true)
  [ -n "$learnt" ] && [ "${learnt#mtu }" -lt 1500 ] ||
    fail "the client's kernel learnt no smaller path MTU to $vip: $(in_ns client ip -6 route get "$vip")"
  # The workers publish their counters periodically: poll for them.
  too_big() { lab_ctl '{"cmd":"stats"}' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["too_big_sent"])'; }
  counted() { ptb=$(too_big) && [ "$ptb" -gt 0 ]; }
  wait_for 3000 0.1 counted >/dev/null || fail "no Packet Too Big counted"
  pass "1 MiB upload: $ptb Packet Too Big sent, the client learnt $learnt"
fi

# 7. IPv6: the IPv4 VIP beside it.
if [ "$family" = 6 ]; then
  in_ns client curl -sf -m3 "http://$LAB_VIP/" >/dev/null || fail "the IPv4 VIP beside does not answer"
  pass "the IPv4 VIP beside answers"
fi

lab_stop_gale
[[ $(in_ns gale ip link show eth0) != *" xdp"* ]] || fail "XDP program still attached after SIGTERM"
pass "galed stopped; XDP program detached"
echo "e2e $tag/$io: 1 passed, 0 failed"
