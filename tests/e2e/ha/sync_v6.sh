#!/usr/bin/env bash
# Connection sync over IPv6 (docs/ha.md "Connection sync"), in namespaces on one bridge:
# two galed nodes whose lvs_sync_daemon names an IPv6 VRRP instance (A priority 150,
# B 100), a client and a real server, all IPv6 only. `unicast`: the instance's unicast
# peers are the sync peers; `multicast`: VRRP and sync multicast (sync to ff02::81).
#  1. A becomes MASTER, B BACKUP;
#  2. the client sends UDP datagrams to the VIP (DR): A forwards them to the real server
#     and writes the flow's sync event;
#  3. B's metrics count the records received over the IPv6 socket, and galectl -L -c -n
#     on B lists the client's flow to the real server.
#   tests/e2e/ha/sync_v6.sh GALED GALECTL unicast|multicast
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v curl >/dev/null || { echo "e2e: needs curl; skipped"; exit 77; }
galed=$(readlink -f "${1:?galed binary}")
galectl=$(readlink -f "${2:?galectl binary}")
cast=${3:?unicast or multicast}
tag=gs6$$
sw=${tag}s
declare -A NS=([A]=${tag}a [B]=${tag}b [client]=${tag}c [rs]=${tag}r)
declare -A ADDR=([A]=fd6e::3 [B]=fd6e::4 [client]=fd6e::2 [rs]=fd6e::11)
vip=fd6e::100
dir=$(mktemp -d /tmp/gale-sync6.XXXXXX)
cleanup() {
  local f
  for f in "$dir"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  remove_netns "${NS[@]}" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (sync_v6 $cast): $*" >&2
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

# IPv6 only, without duplicate address detection (addresses usable at once).
make_switch
for n in A B client rs; do
  ns=${NS[$n]}
  ip netns add "$ns"
  for k in all default; do ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$k.accept_dad=0"; done
  ip link add eth0 netns "$ns" type veth peer name "${ns}s" netns "$sw"
  ip -n "$sw" link set "${ns}s" master br0 up
  ip -n "$ns" addr add "${ADDR[$n]}/64" dev eth0 nodad
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # Senders' checksums complete on veth (gale forwards frames as they are).
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || true
done
# Neighbours resolved before galed starts: its first snapshot has the real server's MAC.
for n in A B; do
  ip netns exec "${NS[$n]}" ping -6 -c1 -W1 "${ADDR[rs]}" >/dev/null 2>&1 || true
done

node_conf() {  # NODE PRIORITY PEER
  local sync_group="" peers=""
  if [ "$cast" = unicast ]; then
    peers="  unicast_src_ip ${ADDR[$1]}
  unicast_peer {
    $3
  }"
  else
    sync_group=" group ff02::81"
  fi
  cat <<CONF
global_defs {
  lvs_sync_daemon eth0 VI_6$sync_group
}
gale {
  interfaces eth0
  io af_packet
  workers 1
  control_socket $dir/$1.sock
  metrics_listen 127.0.0.1:9479
}
vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority $2
  advert_int 0.3
  version 3
  notify $dir/notify_$1.sh
$peers
  virtual_ipaddress {
    $vip/128
  }
}
virtual_server $vip 5353 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  real_server ${ADDR[rs]} 5353 {
    weight 1
  }
}
CONF
}
node_conf A 150 "${ADDR[B]}" >"$dir/A.conf"
node_conf B 100 "${ADDR[A]}" >"$dir/B.conf"
for n in A B; do  # keepalived's notify: TYPE NAME STATE PRIORITY
  printf '#!/bin/sh\necho "$3" >%s/%s.state\n' "$dir" "$n" >"$dir/notify_$n.sh"
  chmod 755 "$dir/notify_$n.sh"
done

start_galed() {  # NODE
  ip netns exec "${NS[$1]}" "$galed" -f "$dir/$1.conf" >"$dir/$1.log" 2>&1 &
  echo $! >"$dir/$1.pid"
  disown  # killed by the cleanup: no "Killed" notice from bash
}
is_state() { [ "$(cat "$dir/$1.state" 2>/dev/null)" = "$2" ]; }
how=$([ "$cast" = unicast ] && echo "1 unicast peer(s)" || echo "multicast ff02::81")
start_galed A
wait_for 8000 is_state A MASTER >/dev/null || fail "A did not become MASTER"
grep -qF "sync: on eth0, $how port 8848" "$dir/A.log" || fail "A's sync thread did not start"
start_galed B
wait_for 8000 is_state B BACKUP >/dev/null || fail "B did not start as BACKUP"
grep -qF "sync: on eth0, $how port 8848" "$dir/B.log" || fail "B's sync thread did not start"

# The client reaches the VIP through A's MAC (A is MASTER: its services are steered).
a_mac=$(ip -n "${NS[A]}" -br link show eth0 | awk '{ print $3 }')
ip -n "${NS[client]}" -6 neigh replace "$vip" lladdr "$a_mac" dev eth0 nud permanent
send() {  # a datagram from the client's port 40000
  ip netns exec "${NS[client]}" python3 - "$vip" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 40000))
s.sendto(b"sync6", (sys.argv[1], 5353))
PY
}
metric() {  # NODE NAME -> the value
  ip netns exec "${NS[$1]}" curl -s http://127.0.0.1:9479/metrics | awk -v k="$2" '$1 == k { print $2 }'
}
conns_of() { ip netns exec "${NS[$1]}" env GALE_SOCKET="$dir/$1.sock" "$galectl" -L -c -n; }
listed() {  # NODE: the client's UDP flow to the VIP and the real server
  conns_of "$1" | awk -v c="[${ADDR[client]}]:40000" -v v="[$vip]:5353" -v d="[${ADDR[rs]}]:5353" \
    '$1 == "UDP" && $4 == c && $5 == v && $6 == d { n++ } END { exit n == 1 ? 0 : 1 }'
}
sent_and_listed() { send && listed A; }
wait_for 5000 sent_and_listed >/dev/null || fail "A does not list the client's flow: $(conns_of A)"
received() { [ "$(metric B gale_sync_records_received_total)" -ge 1 ] 2>/dev/null; }
wait_for 5000 received >/dev/null ||
  fail "B received no sync record: $(ip netns exec "${NS[B]}" curl -s http://127.0.0.1:9479/metrics | grep gale_sync_)"
wait_for 5000 listed B >/dev/null || fail "B does not list the synced flow: $(conns_of B)"
[ "$(metric A gale_sync_records_sent_total)" -ge 1 ] || fail "A counts no record sent"
echo "ok (sync_v6 $cast): A MASTER and B BACKUP over IPv6; B received" \
  "$(metric B gale_sync_records_received_total) record(s) and lists the client's flow"
