#!/usr/bin/env bash
# A fwmark virtual server through galed:  tests/e2e/lab/fwmark.sh IO BUILD_DIR
# (IO: af_xdp af_packet). `gale { fwmark 7 { match tcp 10.99.3.0/24 ports 80,8080 } }`
# and `virtual_server fwmark 7` (NAT, three nginx servers): a fwmark service has no VIP
# address, so only the endpoint list's prefix entry steers its packets to the dataplane
# (before it did not: such a service never received a packet). Checks: curl to several
# addresses of the prefix is answered by every server; a port outside the rule is not
# ours; a keep-alive wrk run has no socket error; no frame dropped, nothing lost on
# transmit (the control socket's stats).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
io=${1:?io}
export GALE_BUILD=$(cd "${2:?build dir}" && pwd)
export LAB=glf$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (fwmark/$io): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -20 "$LAB_DIR/galed.log" >&2
  lab_ctl '{"cmd":"stats"}' 2>/dev/null | head -c 3000 >&2 || true
  exit 1
}
pass() { echo "ok (fwmark/$io): $*"; }

NET=10.99.3
lab_up nat
in_ns router ip route add $NET.0/24 via $LAB_GALE
# lab_start_gale writes the standard config and starts galed: stop it, and start it
# again on the fwmark config below.
lab_start_gale nat 2 "$io"
lab_stop_gale
cat >"$LAB_DIR/gale.conf" <<CONF
gale {
  interfaces eth0
  workers 2
  io $io
  flows 65536
  flows6 1024
  control_socket $LAB_DIR/gale.sock
  fwmark 7 {
    match tcp $NET.0/24 ports 80,8080
  }
}
virtual_server fwmark 7 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${LAB_RS[0]} 80 { weight 1 }
  real_server ${LAB_RS[1]} 80 { weight 1 }
  real_server ${LAB_RS[2]} 80 { weight 1 }
}
CONF
ip netns exec "$(ns gale)" "$GALE_BUILD/galed" -f "$LAB_DIR/gale.conf" >"$LAB_DIR/galed.log" 2>&1 &
echo $! >"$LAB_DIR/galed.pid"
tries=0
until [[ "$(lab_ctl '{"cmd":"stats"}' 2>/dev/null)" == *'"ok":true'* ]]; do
  tries=$((tries + 1))
  [ $tries -lt 200 ] && kill -0 "$(cat "$LAB_DIR/galed.pid")" 2>/dev/null || fail "galed did not start"
  sleep 0.05
done

# 1. Addresses across the prefix, both ports of the rule.
declare -A seen=()
for i in $(seq 1 30); do
  addr=$NET.$((i * 7 % 250 + 1))
  port=80; [ $((i % 2)) -eq 0 ] && port=8080
  body=$(in_ns client curl -sf -m3 "http://$addr:$port/") || fail "curl $addr:$port failed"
  case $body in rs1 | rs2 | rs3) seen[$body]=1 ;; *) fail "unexpected answer '$body' from $addr:$port" ;; esac
done
[ ${#seen[@]} -eq 3 ] || fail "30 requests reached only ${!seen[*]}"
pass "30 curl requests to 30 addresses of $NET.0/24 answered by rs1 rs2 rs3"

# 2. A port outside the rule is not the dataplane's (the gale node's kernel has no use
#    for it). Were it steered, a NAT server (port 80 given) would answer it.
served() { cat "$LAB_DIR"/rs?/access.log | grep -c "^$LAB_CLIENT\$" || true; }
before=$(served)
if in_ns client curl -sf -m2 "http://$NET.9:81/" >/dev/null 2>&1; then fail "port 81 answered"; fi
[ "$(served)" = "$before" ] || fail "a request to port 81 reached a real server"
pass "port 81 is not ours"

# 3. wrk, keep-alive, 5 s.
out=$(in_ns client wrk -t2 -c16 -d5s "http://$NET.77:8080/" 2>&1) || fail "wrk failed: $out"
echo "$out" | grep -E "Requests/sec|requests in" | sed "s/^/  /"
! grep -q "Socket errors" <<<"$out" || fail "wrk socket errors: $(echo "$out" | grep 'Socket errors')"
! grep -q "Non-2xx" <<<"$out" || fail "wrk got non-2xx answers"
pass "wrk through the fwmark service: no socket errors"

stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" <<'PY' || fail "frames dropped or lost: $stats"
import json, sys
s = json.loads(sys.argv[1])
assert s["drops"] == {}, s["drops"]
assert all(w["io_tx_dropped"] == 0 for w in s["workers"]), s["workers"]
assert sum(w["flows_created"] for w in s["workers"]) >= 30, s["workers"]
PY
pass "no frame dropped, nothing lost on transmit"
echo "e2e fwmark/$io: 1 passed, 0 failed"
