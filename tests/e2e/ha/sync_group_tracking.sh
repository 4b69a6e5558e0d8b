#!/usr/bin/env bash
# A vrrp_sync_group's own tracking (keepalived.conf(5): a sync group's track_script and
# track_interface are tracked by every member): galed alone, two instances (the VIP and
# a NAT gateway address) in one group that tracks a vrrp_script testing for a file and a
# link (a veth pair inside the namespace).
#  1. both instances become MASTER (no peer) and hold their addresses;
#  2. the file goes: the group's script fails and both members enter FAULT (no address);
#     it comes back: both are MASTER again;
#  3. the tracked link loses its carrier: both FAULT; it comes back: both MASTER.
#   tests/e2e/ha/sync_group_tracking.sh GALED
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
galed=$(readlink -f "${1:?galed binary}")
tag=gsg$$
gl=${tag}g sw=${tag}s
dir=$(mktemp -d /tmp/gale-sg-track.XXXXXX)
cleanup() {
  remove_netns "$gl" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (sync group tracking): $*" >&2
  [ -f "$dir/galed.log" ] && { echo "--- galed.log" >&2; tail -25 "$dir/galed.log" >&2; }
  exit 1
}

make_switch
join "$gl" "${tag}g" 10.77.0.2
ip -n "$gl" link add "${tag}x" type veth peer name "${tag}y"
ip -n "$gl" link set "${tag}x" up
ip -n "$gl" link set "${tag}y" up
dev=${tag}g
vip=10.77.0.100 gw=10.77.0.254
touch "$dir/ok"
cat >"$dir/galed.conf" <<CONF
gale {
  interfaces $dev
  io af_packet
  workers 1
  control_socket $dir/galed.sock
  metrics_listen 127.0.0.1:9482
}
vrrp_script chk_ok {
  script "/usr/bin/test -e $dir/ok"
  interval 1
}
vrrp_instance VIP {
  interface $dev
  virtual_router_id 71
  advert_int 0.1
  version 3
  virtual_ipaddress {
    $vip/24
  }
}
vrrp_instance GW {
  interface $dev
  virtual_router_id 72
  advert_int 0.1
  version 3
  virtual_ipaddress {
    $gw/24
  }
}
vrrp_sync_group G {
  group {
    VIP
    GW
  }
  track_script {
    chk_ok
  }
  track_interface {
    ${tag}x
  }
}
CONF
has() { ip -n "$gl" -4 addr show dev "$dev" | grep -q " $1/"; }
both_master() { has "$vip" && has "$gw"; }
both_gone() { ! has "$vip" && ! has "$gw"; }
said() { grep -q "$1" "$dir/galed.log"; }

ip netns exec "$gl" "$galed" -f "$dir/galed.conf" >"$dir/galed.log" 2>&1 &
galed_pid=$!
t=$(wait_for 8000 both_master) || fail "the group's instances did not become MASTER"
echo "sync group tracking: both members MASTER after $t ms"

rm "$dir/ok"
t=$(wait_for 5000 both_gone) || fail "the group's failing script did not take both members' addresses"
wait_for 2000 said "(VIP) Entering FAULT STATE" >/dev/null || fail "VIP did not enter FAULT"
wait_for 2000 said "(GW) Entering FAULT STATE" >/dev/null || fail "GW did not enter FAULT"
echo "sync group tracking: the group's script fails: both members FAULT after $t ms"
touch "$dir/ok"
t=$(wait_for 8000 both_master) || fail "both members did not come back when the script succeeded"
echo "sync group tracking: the script succeeds: both members MASTER after $t ms"

ip -n "$gl" link set "${tag}y" down
t=$(wait_for 5000 both_gone) || fail "the group's tracked link going down did not take both addresses"
echo "sync group tracking: the group's tracked link down: both members FAULT after $t ms"
ip -n "$gl" link set "${tag}y" up
t=$(wait_for 8000 both_master) || fail "both members did not come back with the link"
echo "sync group tracking: the link up: both members MASTER after $t ms"

kill -TERM "$galed_pid"
wait "$galed_pid" || fail "galed exited with an error"
echo "ok (sync group tracking)"
