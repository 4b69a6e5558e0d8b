#!/usr/bin/env bash
# NAT replies follow the route toward each client:  tests/e2e/lab/replies.sh BUILD_DIR
# A client on gale's own link (a "peer" namespace on the switch, 10.99.3.50, in a prefix
# gale has on-link and the real servers do not, so their replies come through gale)
# talks to the VIP through NAT while the router forwards nothing: the replies reach it
# only if gale sends them to the peer's own MAC (its on-link route and neighbour entry),
# not to the default gateway. Then every drop counter stays zero.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=glp$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
PEER=10.99.3.50
PEER_GW=10.99.3.1  # gale, on the same link
cleanup() {
  ip netns pids "$(ns peer)" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$(ns peer)" 2>/dev/null || true
  lab_down
}
trap cleanup EXIT
fail() {
  echo "FAIL (replies): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}

lab_up nat
ip netns add "$(ns peer)"
in_ns peer ip link set lo up
lab_link peer eth0 switch peer
in_ns switch ip link set peer master br0
in_ns peer ip addr add $PEER/24 dev eth0
in_ns peer ip route add $LAB_VIP/32 via $PEER_GW
in_ns gale ip addr add $PEER_GW/24 dev eth0
lab_no_offload peer eth0
# gale's kernel learns the peer (as it would any client that has talked to it), so the
# first snapshot carries its MAC and not even the first reply waits for resolution.
in_ns peer ping -c1 -W1 $PEER_GW >/dev/null
lab_start_gale nat 2 af_xdp
# The default gateway forwards nothing now: a reply sent to it is lost.
in_ns router sysctl -qw net.ipv4.ip_forward=0

ok=0
for i in $(seq 1 20); do
  body=$(in_ns peer curl -sf -m3 "http://$LAB_VIP/") || continue
  case $body in rs1 | rs2 | rs3) ok=$((ok + 1)) ;; esac
done
[ "$ok" -eq 20 ] || fail "$ok of 20 requests from an on-link client answered"
grep -q "WARNING" "$LAB_DIR/galed.log" && fail "galed warned: $(grep WARNING "$LAB_DIR/galed.log")"
stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" <<'PY' || fail "drops: $stats"
import json, sys
s = json.loads(sys.argv[1])
assert s["drops"] == {}, s["drops"]
for k in ("io_tx_dropped", "io_rx_dropped", "handoff_dropped"):
    assert s[k] == 0, (k, s[k])
PY
echo "ok (replies): 20 of 20 NAT requests from an on-link client answered at its own MAC (router forwarding off); no drop"
echo "e2e replies: 1 passed, 0 failed"
