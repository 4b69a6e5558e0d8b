#!/usr/bin/env bash
# virtual_routes follow mastership (keepalived.conf(5): "routes add|del when changing to
# MASTER, to BACKUP"), in namespaces on one bridge: galed's instance (priority 100, no
# peer at first) and gale's standalone VRRP peer (tests/e2e/ha/vrrp_peer.cc, 200).
#  1. galed alone becomes MASTER: its VIP and every route are there, as ip route shows
#     them (a gateway route in table 100 with its metric, a blackhole, an on-link route
#     on the instance's interface, a route whose preferred source is the VIP itself);
#  2. the peer starts with priority 200: galed goes BACKUP, the routes and the VIP leave;
#  3. the peer is killed: galed is MASTER again, the routes are back;
#  4. galed stops (SIGTERM): the routes are gone.
#   tests/e2e/ha/virtual_routes.sh GALED VRRP_PEER
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
galed=$(readlink -f "${1:?galed binary}")
peer=$(readlink -f "${2:?vrrp_peer binary}")
tag=gvr$$
gl=${tag}g pr=${tag}p sw=${tag}s
dir=$(mktemp -d /tmp/gale-vroutes.XXXXXX)
cleanup() {
  remove_netns "$gl" "$pr" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (virtual_routes): $*" >&2
  echo "--- routes in galed's namespace:" >&2
  ip -n "$gl" route show table all 2>/dev/null | grep -v "^local\|^multicast\|^fe80\|^ff00" >&2 || true
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

make_switch
join "$gl" "${tag}g" 10.78.0.2
join "$pr" "${tag}p" 10.78.0.3
dev=${tag}g
vip=10.78.0.100

cat >"$dir/galed.conf" <<CONF
gale {
  interfaces $dev
  io af_packet
  workers 1
  control_socket $dir/galed.sock
  metrics_listen 127.0.0.1:9481
}
vrrp_instance VI_1 {
  state BACKUP
  interface $dev
  virtual_router_id 61
  priority 100
  advert_int 0.1
  version 3
  virtual_ipaddress {
    $vip/24
  }
  virtual_routes {
    10.79.0.0/16 via 10.78.0.254 table 100 metric 7
    blackhole 10.80.0.0/16
    10.81.0.0/24
    src $vip to 10.82.0.0/24 via 10.78.0.254
  }
}
CONF
routes() {  # what ip route says of ours, one line each, in a fixed order
  ip -n "$gl" route show table 100 10.79.0.0/16 2>/dev/null
  ip -n "$gl" route show 10.80.0.0/16
  ip -n "$gl" route show 10.81.0.0/24
  ip -n "$gl" route show 10.82.0.0/24
}
all_routes() {
  local r
  r=$(routes)
  grep -q "^10.79.0.0/16 via 10.78.0.254 dev $dev proto static metric 7" <<<"$r" &&
    grep -q "^blackhole 10.80.0.0/16 proto static" <<<"$r" &&
    grep -q "^10.81.0.0/24 dev $dev proto static scope link" <<<"$r" &&
    grep -q "^10.82.0.0/24 via 10.78.0.254 dev $dev proto static src $vip" <<<"$r"
}
no_routes() { [ -z "$(routes)" ]; }
has_vip() { ip -n "$gl" -4 addr show dev "$dev" | grep -q " $vip/"; }
master() { has_vip && all_routes; }
backup() { ! has_vip && no_routes; }

no_routes || fail "routes there before galed started"
ip netns exec "$gl" "$galed" -f "$dir/galed.conf" >"$dir/galed.log" 2>&1 &
galed_pid=$!
t=$(wait_for 5000 master) || fail "galed alone did not become MASTER with its VIP and routes"
echo "virtual_routes: galed MASTER with its VIP and 4 routes after $t ms"

ip netns exec "$pr" "$peer" "${tag}p" 10.78.0.3 61 200 3 0.1 "$vip/24" >"$dir/peer.log" 2>&1 &
peer_pid=$!
t=$(wait_for 3000 backup) || fail "a priority-200 peer did not take the routes away"
echo "virtual_routes: a priority-200 peer came: galed BACKUP, VIP and routes gone after $t ms"

kill -9 "$peer_pid"
wait "$peer_pid" 2>/dev/null || true
t=$(wait_for 3000 master) || fail "galed did not take the routes back when the peer died"
echo "virtual_routes: the peer died: galed MASTER again, routes back after $t ms"

kill -TERM "$galed_pid"
wait "$galed_pid" || fail "galed did not stop cleanly"
backup || fail "routes left behind after galed stopped"
echo "virtual_routes: galed stopped: VIP and routes removed"
echo "ok (virtual_routes)"
