#!/usr/bin/env bash
# galectl drives galed as ipvsadm drives IPVS:
#   tests/e2e/lab/galectl.sh BUILD_DIR
# In the NAT lab, the config's TCP service is deleted and built again with galectl -A/-a;
# curl through the VIP reaches every real server; an operator's awk script reads
# `galectl -L -n` (the RS lines of the service, their ActiveConn while a connection is
# held open); `-S | -C | -R` gives back an identical -S and a working service; and every
# refusal (galed's and the command line's) exits non-zero with -S unchanged; then
# --start-daemon / -L --daemon / --stop-daemon drive the connection sync thread, whose
# gale_sync_* counters the metrics endpoint shows while it runs.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=glc$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (galectl): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}
g() { in_ns gale env GALE_SOCKET="$LAB_DIR/gale.sock" "$GALE_BUILD/galectl" "$@"; }
vip=$LAB_VIP:80

lab_up nat
lab_start_gale nat 1 af_packet

# Build the service with ipvsadm's commands.
g -D -t "$vip" || fail "-D of the config's service"
g -A -t "$vip" -s rr || fail "-A"
for rs in "${LAB_RS[@]}"; do g -a -t "$vip" -r "$rs:80" -m -w 1 || fail "-a $rs"; done
seen=""
for _ in $(seq 1 30); do
  seen+=$(in_ns client curl -sf -m2 "http://$vip/" || true)
done
for rs in rs1 rs2 rs3; do [[ $seen == *$rs* ]] || fail "curl through the VIP never reached $rs"; done

# An operator's script: the RS lines of one service from -L -n, Forward and ActiveConn.
rs_lines() {
  g -L -n | awk -v svc="$vip" '
    $1 == "TCP" || $1 == "UDP" || $1 == "FWM" { cur = $1 " " $2 }
    $1 == "->" && $2 != "RemoteAddress:Port" && cur == "TCP " svc { print $2, $3, $4, $5, $6 }'
}
[ "$(rs_lines | wc -l)" -eq 3 ] || fail "-L -n shows $(rs_lines | wc -l) real servers: $(g -L -n)"
rs_lines | awk '$2 != "Masq" || $3 != 1 { bad = 1 } END { exit bad }' ||
  fail "RS lines are not Masq weight 1: $(rs_lines)"
# One connection held open: exactly one ActiveConn over the RS lines.
in_ns client bash -c "exec 3<>/dev/tcp/$LAB_VIP/80; sleep 8" &
holder=$!
active=0
for _ in $(seq 1 100); do
  active=$(rs_lines | awk '{ s += $4 } END { print s + 0 }')
  [ "$active" -eq 1 ] && break
  sleep 0.05
done
[ "$active" -eq 1 ] || fail "ActiveConn sum is $active with one open connection: $(g -L -n)"
# -c: the workers' flow tables, as ipvsadm -c -n lists IPVS's: that connection,
# ESTABLISHED, from the VIP to one of the real servers.
conns=$(g -L -c -n) || fail "-L -c -n: $conns"
[ "$(head -1 <<<"$conns")" = "IPVS connection entries" ] || fail "-c -n header: $conns"
est=$(awk -v svc="$vip" '$1 == "TCP" && $3 == "ESTABLISHED" && $5 == svc' <<<"$conns")
[ "$(wc -l <<<"$est")" -eq 1 ] && [ -n "$est" ] || fail "-c -n does not list the open connection once: $conns"
rs=$(awk '{ print $6 }' <<<"$est")
[[ " ${LAB_RS[*]/%/:80} " == *" $rs "* ]] || fail "-c -n: destination $rs is not a real server: $conns"
kill $holder 2>/dev/null || true

# -Z: the service's Conns read 0, then count the next connection (exactly one).
svc_conns() { g -L -n --stats | awk -v svc="$vip" '$1 == "TCP" && $2 == svc { print $3 }'; }
# 30 curls and the held connection (whose flow may still be on its way when a slow
# curl's lingering flow already made ActiveConn 1): poll until all 31 are counted.
for _ in $(seq 1 100); do
  [ "$(svc_conns)" -ge 31 ] && break
  sleep 0.05
done
[ "$(svc_conns)" -ge 31 ] || fail "--stats Conns before -Z: $(svc_conns)"
g -Z || fail "-Z"
[ "$(svc_conns)" -eq 0 ] || fail "--stats Conns after -Z: $(svc_conns)"
in_ns client curl -sf -m2 "http://$vip/" >/dev/null || fail "curl after -Z"
for _ in $(seq 1 100); do
  [ "$(svc_conns)" -eq 1 ] && break
  sleep 0.05
done
[ "$(svc_conns)" -eq 1 ] || fail "--stats Conns after -Z and one connection: $(svc_conns)"

# -S | -C | -R round trip.
g -S -n >"$LAB_DIR/s1" || fail "-S"
grep -q -- "-A -t $vip -s rr" "$LAB_DIR/s1" || fail "-S lacks the service: $(cat "$LAB_DIR/s1")"
g -C || fail "-C"
[ -z "$(g -S -n)" ] || fail "-S after -C is not empty: $(g -S -n)"
g -R <"$LAB_DIR/s1" || fail "-R"
g -S -n >"$LAB_DIR/s2"
cmp -s "$LAB_DIR/s1" "$LAB_DIR/s2" || fail "-S after -R differs: $(diff "$LAB_DIR/s1" "$LAB_DIR/s2")"
in_ns client curl -sf -m2 "http://$vip/" >/dev/null || fail "curl after -R"

# Refusals: a non-zero status and the table unchanged.
refuse() {
  local status=0
  g "$@" 2>"$LAB_DIR/err" || status=$?
  [ "$status" -ne 0 ] || fail "galectl $* was not refused"
  [ -s "$LAB_DIR/err" ] || fail "galectl $* said nothing"
  g -S -n >"$LAB_DIR/s3"
  cmp -s "$LAB_DIR/s1" "$LAB_DIR/s3" || fail "galectl $* changed the table"
  echo "  refused ($status): galectl $* -- $(head -1 "$LAB_DIR/err")"
}
refuse -A -t "$vip"                                             # exists
refuse -a -t "$vip" -r "${LAB_RS[0]}:80" -m                     # exists
refuse -d -t "$LAB_VIP:81" -r "${LAB_RS[0]}"                    # no such service
refuse -e -t "$vip" -r 10.99.2.99:80 -m                         # no such server
refuse -A -t "$LAB_VIP:90" -s rr -b sh-port                     # flag of another scheduler
refuse -a -t "$vip" -r "${LAB_RS[0]}:80" -g --tun-type gue --tun-port 6080  # tunnel opts, -g
refuse -a -t "$vip" -r "${LAB_RS[0]}:80" -i --tun-type gue      # GUE without a port
refuse -a -t "$vip" -r "${LAB_RS[0]}:80" -m -w 65536            # weight out of range
refuse -a -t "[2001:db8::1]:80" -r "${LAB_RS[0]}" -m            # IPv4 RS, IPv6 service
refuse -A -t "$LAB_VIP:91" -D                                   # two commands

# ipvsadm's sync daemon commands drive galed's connection sync thread.
[ -z "$(g -L --daemon)" ] || fail "-L --daemon before --start-daemon: $(g -L --daemon)"
g --start-daemon master --mcast-interface eth0 --syncid 7 || fail "--start-daemon master"
want="master sync daemon (mcast=eth0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)"
[ "$(g -L --daemon)" = "$want" ] || fail "-L --daemon: '$(g -L --daemon)', want '$want'"
[ "$(g -L -n --daemon)" = "$want" ] || fail "-L -n --daemon: $(g -L -n --daemon)"
scrape() { in_ns gale curl -sf -m5 http://127.0.0.1:9469/metrics; }
sent=0
for _ in $(seq 1 100); do  # the thread asks its peers for a bulk copy at once
  sent=$(scrape | awk '$1 == "gale_sync_datagrams_sent_total" { print $2 }')
  [ "${sent:-0}" -ge 1 ] && break
  sleep 0.05
done
[ "${sent:-0}" -ge 1 ] || fail "gale_sync_datagrams_sent_total is '${sent}': $(scrape | grep gale_sync_)"
[ "$(scrape | grep -c '^gale_sync_[a-z_]*_total ')" -ge 10 ] || fail "gale_sync_* series: $(scrape | grep gale_sync_)"
status=0
g --start-daemon master --mcast-interface eth0 --syncid 7 2>"$LAB_DIR/err" || status=$?
[ "$status" -eq 255 ] && grep -q "Daemon has already run" "$LAB_DIR/err" ||
  fail "a second --start-daemon master: status $status, $(cat "$LAB_DIR/err")"
g --start-daemon backup --mcast-interface eth0 --syncid 7 || fail "--start-daemon backup beside master"
[ "$(g -L --daemon | wc -l)" -eq 2 ] || fail "-L --daemon with both roles: $(g -L --daemon)"
g --stop-daemon master || fail "--stop-daemon master"
[ "$(g -L --daemon)" = "${want/master/backup}" ] || fail "-L --daemon after stopping master: $(g -L --daemon)"
g --stop-daemon backup || fail "--stop-daemon backup"
[ -z "$(g -L --daemon)" ] || fail "-L --daemon after --stop-daemon: $(g -L --daemon)"
scrape | grep -q '^gale_sync_' && fail "gale_sync_* still exported with no sync thread"
status=0
g --stop-daemon master 2>"$LAB_DIR/err" || status=$?
[ "$status" -eq 255 ] && grep -q "No daemon is running" "$LAB_DIR/err" ||
  fail "--stop-daemon with none running: status $status, $(cat "$LAB_DIR/err")"
grep -q "sync: stopped" "$LAB_DIR/galed.log" || fail "galed did not log the sync thread stopping"

kill -0 "$(cat "$LAB_DIR/galed.pid")" || fail "galed died"
echo "ok (galectl): service built by -A/-a, 3 servers reached, awk over -L -n, -S/-C/-R identical, 10 refusals left -S unchanged, sync daemons started, listed, metered, stopped"
echo "e2e galectl: 1 passed, 0 failed"
