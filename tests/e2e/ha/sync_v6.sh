#!/usr/bin/env bash
# Connection sync over IPv6 (docs/ha.md "Connection sync"), in namespaces on one bridge:
# two galed nodes whose lvs_sync_daemon names an IPv6 VRRP instance (A priority 150,
# B 100), a client and a real server, all IPv6 only. `unicast`: the instance's unicast
# peers are the sync peers; `multicast`: VRRP and sync multicast (sync to ff02::81).
#  1. A becomes MASTER, B BACKUP;
#  2. the client sends UDP datagrams to the VIP (DR): A forwards them to the real server
#     and writes the flow's sync event;
#  3. B's metrics count the records received over the IPv6 socket, and galectl -L -c -n
#     on B lists the client's flow to the real server;
#  4. persistence templates travel too: a persistent service (UDP 5354) whose weights
#     differ by node (A: rs1 0, rs2 1; B: rs1 1, rs2 0, so B's scheduler alone picks
#     rs1) sends the client to rs2 on A; A is killed, B becomes MASTER, and the client's
#     next flow (a new port) goes to rs2 through B (a weight-0 server keeps its
#     persistent clients, as in IPVS), while another client of B goes to rs1.
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
declare -A NS=([A]=${tag}a [B]=${tag}b [client]=${tag}c [rs]=${tag}r [rs2]=${tag}t)
declare -A ADDR=([A]=fd6e::3 [B]=fd6e::4 [client]=fd6e::2 [rs]=fd6e::11 [rs2]=fd6e::12)
other_client=fd6e::5  # a second address of the client: a client without a template
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
for n in A B client rs rs2; do
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
ip -n "${NS[client]}" addr add "$other_client/64" dev eth0 nodad
# Neighbours resolved before galed starts: its first snapshot has the real servers' MACs.
for n in A B; do
  for r in rs rs2; do ip netns exec "${NS[$n]}" ping -6 -c1 -W1 "${ADDR[$r]}" >/dev/null 2>&1 || true; done
done

node_conf() {  # NODE PRIORITY PEER RS1_WEIGHT RS2_WEIGHT
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
virtual_server $vip 5354 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  persistence_timeout 60
  real_server ${ADDR[rs]} 5354 {
    weight $4
  }
  real_server ${ADDR[rs2]} 5354 {
    weight $5
  }
}
CONF
}
node_conf A 150 "${ADDR[B]}" 0 1 >"$dir/A.conf"
node_conf B 100 "${ADDR[A]}" 1 0 >"$dir/B.conf"
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
send() {  # [SRC PORT VPORT]: a datagram from the client (by default fd6e::2:40000 to :5353)
  ip netns exec "${NS[client]}" python3 - "$vip" "${1:-${ADDR[client]}}" "${2:-40000}" "${3:-5353}" <<'PY'
import socket, sys
vip, src, port, vport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((src, port))
s.sendto(b"sync6", (vip, vport))
PY
}
metric() {  # NODE NAME -> the value
  ip netns exec "${NS[$1]}" curl -s http://127.0.0.1:9479/metrics | awk -v k="$2" '$1 == k { print $2 }'
}
conns_of() { ip netns exec "${NS[$1]}" env GALE_SOCKET="$dir/$1.sock" "$galectl" -L -c -n; }
listed() {  # NODE [SRC PORT VPORT RS]: that UDP flow to the VIP and the real server
  local c="[${2:-${ADDR[client]}}]:${3:-40000}" v="[$vip]:${4:-5353}" d="[${5:-${ADDR[rs]}}]:${4:-5353}"
  conns_of "$1" | awk -v c="$c" -v v="$v" -v d="$d" \
    '$1 == "UDP" && $4 == c && $5 == v && $6 == d { n++ } END { exit n == 1 ? 0 : 1 }'
}
sent_and_listed() { send && listed A; }
wait_for 5000 sent_and_listed >/dev/null || fail "A does not list the client's flow: $(conns_of A)"
received() { [ "$(metric B gale_sync_records_received_total)" -ge 1 ] 2>/dev/null; }
wait_for 5000 received >/dev/null ||
  fail "B received no sync record: $(ip netns exec "${NS[B]}" curl -s http://127.0.0.1:9479/metrics | grep gale_sync_)"
wait_for 5000 listed B >/dev/null || fail "B does not list the synced flow: $(conns_of B)"
[ "$(metric A gale_sync_records_sent_total)" -ge 1 ] || fail "A counts no record sent"
echo "sync_v6 $cast: A MASTER and B BACKUP over IPv6; B received" \
  "$(metric B gale_sync_records_received_total) record(s) and lists the client's flow"

# 4. The persistent service: A sends the client to rs2 (its only weighted server), and
# the template goes to B with the flow (B then counts at least 3 records: the first flow,
# the template, this flow).
sent_persistent() { send "${ADDR[client]}" 41000 5354 && listed A "${ADDR[client]}" 41000 5354 "${ADDR[rs2]}"; }
wait_for 5000 sent_persistent >/dev/null || fail "A does not send the client to rs2: $(conns_of A)"
templates_in() { [ "$(metric B gale_sync_records_received_total)" -ge 3 ] 2>/dev/null; }
wait_for 5000 templates_in >/dev/null || fail "B did not receive the template and the flow: $(metric B gale_sync_records_received_total) record(s)"
wait_for 5000 listed B "${ADDR[client]}" 41000 5354 "${ADDR[rs2]}" >/dev/null ||
  fail "B does not list the persistent flow: $(conns_of B)"
# ipvsadm -L -c lists IPVS's templates: client port 0, state UDP (state 0 of a UDP
# service), the template's server.
listed B "${ADDR[client]}" 0 5354 "${ADDR[rs2]}" ||
  fail "B does not list the client's template (port 0) to rs2: $(conns_of B)"
kill -9 "$(cat "$dir/A.pid")"
wait_for 8000 is_state B MASTER >/dev/null || fail "B did not take over"
b_mac=$(ip -n "${NS[B]}" -br link show eth0 | awk '{ print $3 }')
ip -n "${NS[client]}" -6 neigh replace "$vip" lladdr "$b_mac" dev eth0 nud permanent
sent_to_b() { send "${ADDR[client]}" 41001 5354 && listed B "${ADDR[client]}" 41001 5354 "$1"; }
wait_for 5000 sent_to_b "${ADDR[rs2]}" >/dev/null ||
  fail "B did not send the persistent client's new flow to rs2 (its template's): $(conns_of B)"
other_to_b() { send "$other_client" 41002 5354 && listed B "$other_client" 41002 5354 "${ADDR[rs]}"; }
wait_for 5000 other_to_b >/dev/null || fail "B did not send a client without template to rs1: $(conns_of B)"
echo "ok (sync_v6 $cast): ... and after A's death B sends the persistent client's new flow" \
  "to the template's server (rs2), another client to its scheduler's (rs1)"
