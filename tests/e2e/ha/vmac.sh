#!/usr/bin/env bash
# use_vmac against Debian's keepalived (both with use_vmac, VRRP v3), in namespaces on
# one bridge, with a client and a DR real server:
#  1. keepalived alone is MASTER: the client's neighbour entry for the VIP is the
#     virtual router's MAC (RFC 5798 7.3: 00:00:5e:00:01:VRID), not a node's;
#  2. galed (priority 200) starts: its macvlan vrrp.VRID is there (macvlan, private mode,
#     that MAC) and takes the VIP; the parent and the macvlan have keepalived's settings
#     (arp_ignore, arp_filter, rp_filter with conf/all lowered); the switch learns the MAC
#     on galed's port; the client's neighbour entry is unchanged (no new ARP needed) and
#     HTTP through the VIP reaches the real server through galed's DR dataplane, which
#     accepts frames to the virtual router's MAC;
#     galed's IPv6 instance (alone) has its own macvlan with 00:00:5e:00:02:VRID, and the
#     client's neighbour entry for its VIP is that MAC;
#  3. galed stops (SIGTERM, priority 0): keepalived takes over, the client still pings
#     the VIP with the same neighbour entry, galed's macvlan is gone and every setting it
#     changed is back.
#   tests/e2e/ha/vmac.sh GALED
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v keepalived >/dev/null || { echo "e2e: keepalived missing"; exit 1; }
galed=$(readlink -f "${1:?galed binary}")
tag=gvm$$
ka=${tag}k gl=${tag}g cl=${tag}c rs=${tag}r sw=${tag}s
dir=$(mktemp -d /tmp/gale-vmac.XXXXXX)
cleanup() {
  remove_netns "$ka" "$gl" "$cl" "$rs" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (vmac): $*" >&2
  ip -n "$gl" -d link show 2>/dev/null >&2 || true
  ip -n "$cl" neigh show >&2 || true
  ip netns exec "$gl" curl -s -m1 http://127.0.0.1:9469/metrics 2>/dev/null | grep -v "^#" | grep -v " 0$" >&2 || true
  bridge -n "$sw" fdb show br br0 2>/dev/null | grep -v permanent >&2 || true
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

make_switch
join "$ka" "${tag}k" 10.76.0.1
join "$gl" "${tag}g" 10.76.0.2
join "$cl" "${tag}c" 10.76.0.10
join "$rs" "${tag}r" 10.76.0.20
# veth leaves TCP checksums to "hardware" that is not there: the client's frames that
# galed forwards must carry theirs (as lab/lib.sh's lab_no_offload).
ip netns exec "$cl" ethtool -K "${tag}c" tx off >/dev/null
vrid=71
# An IPv6 instance beside in galed (no peer: MASTER alone), VRID 72 = 0x48.
ip -n "$gl" addr add fd76::2/64 dev "${tag}g" nodad
ip -n "$cl" addr add fd76::10/64 dev "${tag}c" nodad
vip6=fd76::100 vmac6=00:00:5e:00:02:48
vip=10.76.0.100
vmac=00:00:5e:00:01:47 # RFC 5798 7.3, VRID 71 = 0x47
dev=${tag}g
# The real server: the VIP on lo, never claimed in ARP, and a one-line HTTP answer.
ip netns exec "$rs" "$(dirname "$(readlink -f "$0")")/../../../scripts/gale-realserver" dr "$vip"
cat >"$dir/http.sh" <<'SH'
#!/bin/sh
while read -r line && [ "$line" != "$(printf '\r')" ]; do :; done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nrs-vmac\n'
SH
chmod 755 "$dir/http.sh"
ip netns exec "$rs" socat TCP-LISTEN:80,fork,reuseaddr EXEC:"$dir/http.sh" >"$dir/rs.log" 2>&1 &
# keepalived's node as an operator sets it up (docs/ha.md "use_vmac"): its parent's ARP
# requests (to send the replies to the client) name its own address, not the VIP.
ip netns exec "$ka" sysctl -qw "net.ipv4.conf.${tag}k.arp_announce=2"
# galed's namespace filters by reverse path on every interface (loose), so that the
# settings use_vmac lowers have something to give back.
ip netns exec "$gl" sysctl -qw net.ipv4.conf.all.rp_filter=2

cat >"$dir/ka.conf" <<CONF
global_defs {
  router_id ka
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}k
  virtual_router_id $vrid
  priority 100
  advert_int 0.1
  version 3
  use_vmac
  virtual_ipaddress {
    $vip/24
  }
}
CONF
cat >"$dir/galed.conf" <<CONF
gale {
  interfaces $dev
  io af_packet
  workers 1
  control_socket $dir/galed.sock
}
vrrp_instance VI_1 {
  state BACKUP
  interface $dev
  virtual_router_id $vrid
  priority 200
  advert_int 0.1
  version 3
  use_vmac
  virtual_ipaddress {
    $vip/24
  }
}
vrrp_instance VI_6 {
  interface $dev
  virtual_router_id 72
  advert_int 0.1
  version 3
  use_vmac
  virtual_ipaddress {
    $vip6/64
  }
}
virtual_server $vip 80 {
  lb_kind DR
  lb_algo rr
  real_server 10.76.0.20 80 {
  }
}
CONF

# (Outputs read whole, not by grep -q: with pipefail, ip's SIGPIPE would fail a match.)
ka_master() { [[ $(ip -n "$ka" addr show dev vrrp.$vrid 2>/dev/null) == *" $vip/"* ]]; }
gl_master() { [[ $(ip -n "$gl" addr show dev vrrp.$vrid 2>/dev/null) == *" $vip/"* ]]; }
neigh_mac() { ip -n "$cl" neigh show "$vip" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
fdb_port() { bridge -n "$sw" fdb show br br0 | awk -v m="$vmac" '$1 == m && $0 !~ /permanent/ { print $3 }'; }
sysctl_of() { ip netns exec "$gl" cat "/proc/sys/net/ipv4/conf/$1"; }
settings() {
  echo "$(sysctl_of "$dev/arp_ignore") $(sysctl_of "$dev/arp_filter") $(sysctl_of "$dev/arp_announce")" \
    "$(sysctl_of "$dev/rp_filter")" \
    "$(sysctl_of all/rp_filter) $(sysctl_of default/rp_filter)"
}
curl_rs() { [ "$(ip netns exec "$cl" curl -s -m 1 "http://$vip/")" = rs-vmac ]; }

# 1. keepalived alone.
ip netns exec "$ka" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/ka.pid" \
  -r "$dir/ka-vrrp.pid" -c "$dir/ka-chk.pid" >"$dir/keepalived.log" 2>&1 &
t=$(wait_for 5000 ka_master) || fail "keepalived did not become MASTER on its vrrp.$vrid"
ip netns exec "$cl" ping -c1 -W1 "$vip" >/dev/null || fail "the client cannot ping keepalived's VIP"
[ "$(neigh_mac)" = "$vmac" ] || fail "the client's neighbour for $vip is $(neigh_mac), not $vmac"
echo "vmac: keepalived MASTER after $t ms; the client reaches $vip at $vmac"

# 2. galed takes over.
before=$(settings)
[ "$before" = "0 0 0 0 2 0" ] || fail "galed's namespace does not start as set: $before"
ip netns exec "$gl" "$galed" -f "$dir/galed.conf" >"$dir/galed.log" 2>&1 &
galed_pid=$!
t=$(wait_for 5000 gl_master) || fail "galed (priority 200) did not take the VIP on vrrp.$vrid"
wait_for 3000 eval '! ka_master' >/dev/null || fail "keepalived kept the VIP"
echo "vmac: galed MASTER after $t ms"
link=$(ip -n "$gl" -d link show vrrp.$vrid)
[[ $link == *"vrrp.$vrid@$dev:"* ]] || fail "vrrp.$vrid is not on $dev: $link"
[[ $link == *"link/ether $vmac "* ]] || fail "vrrp.$vrid does not carry $vmac: $link"
[[ $link == *"macvlan mode private"* ]] || fail "vrrp.$vrid is not a private macvlan: $link"
[[ $(ip -n "$gl" addr show dev "$dev") != *" $vip/"* ]] || fail "the VIP is on $dev, not vrrp.$vrid"
# Parent: arp_ignore 1, arp_filter 1, arp_announce 2, rp_filter raised to all's (2);
# all lowered to 0, default raised to 2.
[ "$(settings)" = "1 1 2 2 0 2" ] || fail "settings while galed runs: $(settings)"
[ "$(sysctl_of vrrp.$vrid/arp_ignore) $(sysctl_of vrrp.$vrid/rp_filter)" = "1 0" ] ||
  fail "vrrp.$vrid's arp_ignore/rp_filter: $(sysctl_of vrrp.$vrid/arp_ignore) $(sysctl_of vrrp.$vrid/rp_filter)"
# Its gratuitous ARPs (from the virtual router's MAC) move the MAC to galed's port.
t=$(wait_for 3000 eval '[ "$(fdb_port)" = "${tag}gs" ]') ||
  fail "the switch has $vmac on '$(fdb_port)', not galed's ${tag}gs"
[ "$(neigh_mac)" = "$vmac" ] || fail "the client's neighbour for $vip changed to $(neigh_mac)"
t=$(wait_for 5000 curl_rs) || fail "HTTP through the VIP did not reach the real server via galed"
# The IPv6 instance: its macvlan with the IPv6 virtual router MAC, the VIP and the
# adverts' link-local source on it, and the client's neighbour entry is that MAC.
link6=$(ip -n "$gl" -d link show vrrp.72)
[[ $link6 == *"link/ether $vmac6 "* && $link6 == *"macvlan mode private"* ]] ||
  fail "vrrp.72 is not a private macvlan with $vmac6: $link6"
has_vip6() { [[ $(ip -n "$gl" -6 addr show dev vrrp.72) == *" $vip6/64 "* ]]; }
wait_for 3000 has_vip6 >/dev/null || fail "galed's IPv6 instance did not take $vip6 on vrrp.72"
addr6=$(ip -n "$gl" -6 addr show dev vrrp.72)
[[ $addr6 == *" fe80::"* ]] || fail "vrrp.72 lacks the adverts' link-local source: $addr6"
ip netns exec "$cl" ping -6 -c1 -W2 "$vip6" >/dev/null || fail "the client cannot ping $vip6"
mac6=$(ip -n "$cl" -6 neigh show "$vip6" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
[ "$mac6" = "$vmac6" ] || fail "the client's neighbour for $vip6 is $mac6, not $vmac6"
echo "vmac: the switch learned $vmac on galed's port; HTTP through galed's DR after $t ms;" \
  "$vip6 at $vmac6"

# 3. galed stops: keepalived takes over with the same MAC.
kill -TERM "$galed_pid"
wait "$galed_pid" || fail "galed did not stop cleanly"
t=$(wait_for 3000 ka_master) || fail "keepalived did not take over when galed stopped"
ip netns exec "$cl" ping -c1 -W1 "$vip" >/dev/null || fail "the client cannot ping $vip after galed stopped"
[ "$(neigh_mac)" = "$vmac" ] || fail "the client's neighbour for $vip changed to $(neigh_mac)"
[ -z "$(ip -n "$gl" link show vrrp.$vrid 2>/dev/null)$(ip -n "$gl" link show vrrp.72 2>/dev/null)" ] ||
  fail "galed left vrrp.$vrid or vrrp.72 behind"
[ "$(settings)" = "$before" ] || fail "settings after galed stopped: $(settings), before: $before"
echo "vmac: galed stopped: keepalived MASTER after $t ms, same MAC; vrrp.$vrid and settings gone"
echo "ok (vmac)"
