#!/usr/bin/env bash
# global_defs' vrrp_mcast_group4, vrrp_garp_interval and the VRRP thread's scheduling
# (vrrp_rt_priority, vrrp_cpu_affinity) against Debian's keepalived, in namespaces on one
# bridge with a listener:
#  1. keepalived (priority 250) and galed (100) both advertise to 224.0.0.77: galed hears
#     keepalived there and stays BACKUP (it would take the VIP if it listened on
#     224.0.0.18);
#  2. keepalived dies: galed becomes MASTER; the listener sees galed's adverts go to
#     224.0.0.77 only, and its gratuitous ARPs (garp_master_repeat 3 for two VIPs, round
#     by round) at least vrrp_garp_interval (0.2 s) apart.
#   tests/e2e/ha/announce.sh GALED
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v keepalived >/dev/null || { echo "e2e: keepalived missing"; exit 1; }
command -v tcpdump >/dev/null || { echo "e2e: tcpdump missing"; exit 1; }
galed=$(readlink -f "${1:?galed binary}")
tag=gan$$
ka=${tag}k gl=${tag}g ls=${tag}l sw=${tag}s
dir=$(mktemp -d /tmp/gale-announce.XXXXXX)
cleanup() {
  remove_netns "$ka" "$gl" "$ls" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (announce): $*" >&2
  for f in "$dir"/*.log "$dir"/cap.txt; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
  exit 1
}

make_switch
join "$ka" "${tag}k" 10.75.0.1
join "$gl" "${tag}g" 10.75.0.2
join "$ls" "${tag}l" 10.75.0.9
vip1=10.75.0.100 vip2=10.75.0.101

cat >"$dir/ka.conf" <<CONF
global_defs {
  router_id ka
  vrrp_mcast_group4 224.0.0.77
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}k
  virtual_router_id 81
  priority 250
  advert_int 0.1
  version 3
  virtual_ipaddress {
    $vip1/24
    $vip2/24
  }
}
CONF
cat >"$dir/galed.conf" <<CONF
global_defs {
  vrrp_mcast_group4 224.0.0.77
  vrrp_garp_interval 0.2
  vrrp_rt_priority 20
  vrrp_cpu_affinity 0
}
gale {
  interfaces ${tag}g
  io af_packet
  workers 1
  control_socket $dir/galed.sock
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}g
  virtual_router_id 81
  priority 100
  advert_int 0.1
  version 3
  garp_master_repeat 3
  garp_master_delay 0
  virtual_ipaddress {
    $vip1/24
    $vip2/24
  }
}
CONF
# (Outputs read whole, not by grep -q: with pipefail, ip's SIGPIPE would fail a match.)
ka_master() { [[ $(ip -n "$ka" addr show dev "${tag}k") == *" $vip1/"* ]]; }
gl_master() { [[ $(ip -n "$gl" addr show dev "${tag}g") == *" $vip1/"* ]]; }

ip netns exec "$ka" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/ka.pid" \
  -r "$dir/ka-vrrp.pid" -c "$dir/ka-chk.pid" >"$dir/keepalived.log" 2>&1 &
wait_for 5000 ka_master >/dev/null || fail "keepalived did not become MASTER"
ip netns exec "$gl" "$galed" -f "$dir/galed.conf" >"$dir/galed.log" 2>&1 &
galed_pid=$!
holds_not 1500 gl_master || fail "galed took the VIP under a priority-250 MASTER on 224.0.0.77"
grep -q "Entering BACKUP" "$dir/galed.log" || fail "galed never entered BACKUP"
echo "announce: galed BACKUP under keepalived, both on 224.0.0.77"
# vrrp_rt_priority / vrrp_cpu_affinity: the VRRP thread (gale-vrrp) as ps sees it, unless
# galed said why the kernel refused (a container without a real-time budget).
if grep -q "vrrp: scheduling: SCHED_RR priority 20, 1 CPU(s)" "$dir/galed.log"; then
  sched=$(ps -L -o comm=,cls=,rtprio=,psr= -p "$galed_pid" | awk '$1 == "gale-vrrp" { print $2, $3, $4 }')
  [ "$sched" = "RR 20 0" ] || fail "the VRRP thread runs as '$sched', not 'RR 20 0' (policy, priority, CPU)"
  echo "announce: the VRRP thread runs SCHED_RR 20 on CPU 0"
else
  grep -q "vrrp: scheduling not applied: SCHED_RR" "$dir/galed.log" ||
    fail "galed neither applied vrrp_rt_priority nor said why"
  echo "announce: SCHED_RR refused here: $(grep -m1 'scheduling not applied' "$dir/galed.log")"
fi

# The listener captures ARP and VRRP from galed's MAC while keepalived dies.
gmac=$(ip -n "$gl" -br link show "${tag}g" | awk '{ print $3 }')
ip netns exec "$ls" tcpdump -l -tt -n -i "${tag}l" "ether src $gmac and (arp or ip proto 112)" \
  >"$dir/cap.txt" 2>"$dir/tcpdump.log" &
tcpdump_pid=$!
wait_for 5000 grep -q "listening on" "$dir/tcpdump.log" >/dev/null || fail "tcpdump did not start"
ip -n "$ka" link set "${tag}k" down
ip netns pids "$ka" | xargs -r kill -9
t=$(wait_for 3000 gl_master) || fail "galed did not take over when keepalived died"
# Three rounds over two VIPs: six GARPs, the last at least 5 x 0.2 s after the first.
garps() { grep -c "ARP, Request who-has .* tell .*" "$dir/cap.txt" || true; }
wait_for 4000 eval '[ "$(garps)" -ge 6 ]' >/dev/null || fail "$(garps) gratuitous ARPs, not 6"
sleep 0.5 # a seventh would come within the interval if pacing were off (none expected)
kill "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
[ "$(garps)" -eq 6 ] || fail "$(garps) gratuitous ARPs, not 6"
order=$(awk '/ARP, Request/ { for (i = 1; i <= NF; i++) if ($i == "who-has") print $(i + 1) }' "$dir/cap.txt" | tr '\n' ' ')
[ "$order" = "$vip1 $vip2 $vip1 $vip2 $vip1 $vip2 " ] || fail "GARP order: $order"
gaps=$(awk '/ARP, Request/ { if (prev) printf "%d ", ($1 - prev) * 1000; prev = $1 }' "$dir/cap.txt")
for g in $gaps; do [ "$g" -ge 195 ] || fail "GARPs $g ms apart (vrrp_garp_interval 0.2): $gaps"; done
grep -q "> 224.0.0.77: VRRPv3" "$dir/cap.txt" || fail "no advert to 224.0.0.77"
! grep -q "> 224.0.0.18:" "$dir/cap.txt" || fail "an advert went to 224.0.0.18"
echo "announce: galed MASTER after $t ms; adverts to 224.0.0.77; 6 GARPs in rounds, gaps (ms): $gaps"

kill -TERM "$galed_pid"
wait "$galed_pid" || fail "galed did not stop cleanly"
echo "ok (announce)"
