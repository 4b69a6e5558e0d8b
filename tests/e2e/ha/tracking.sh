#!/usr/bin/env bash
# VRRP tracking against Debian's keepalived, in namespaces on one bridge: galed (priority
# 150) tracks two vrrp_scripts that test for files, keepalived (100) is its peer.
#  1. both files there: galed preempts keepalived and holds the VIP;
#  2. the weighted script's file goes (weight -100): galed advertises 50 and keepalived
#     takes the VIP over; galectl --vrrp and the metrics show 50/150; the file comes back:
#     galed preempts again;
#  3. the weight 0 script's file goes: galed enters FAULT, keepalived takes over; it
#     comes back: galed BACKUP, then MASTER again;
#  4. a tracked link loses its carrier (its veth peer goes down): FAULT, and back.
# Prints how long each reaction took (the script's interval is 1 s, rise and fall 1).
#   tests/e2e/ha/tracking.sh GALED GALECTL
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v keepalived >/dev/null || { echo "e2e: keepalived missing"; exit 1; }
galed=$(readlink -f "${1:?galed binary}")
galectl=$(readlink -f "${2:?galectl binary}")
tag=gtr$$
ka=${tag}k gl=${tag}g sw=${tag}s
dir=$(mktemp -d /tmp/gale-vrrp-track.XXXXXX)
galed_pid=""
cleanup() {
  [ -n "$galed_pid" ] && kill "$galed_pid" 2>/dev/null
  remove_netns "$ka" "$gl" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (vrrp tracking): $*" >&2
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

make_switch
join "$ka" "${tag}a" 10.78.0.1
join "$gl" "${tag}b" 10.78.0.2
# The tracked link: a veth pair inside galed's namespace, its carrier cut from the peer.
ip -n "$gl" link add "${tag}x" type veth peer name "${tag}y"
ip -n "$gl" link set "${tag}x" up
ip -n "$gl" link set "${tag}y" up
vip=10.78.0.100
ka_has_vip() { ip -n "$ka" -4 addr show dev "${tag}a" | grep -q " $vip/"; }
gale_has_vip() { ip -n "$gl" -4 addr show dev "${tag}b" | grep -q " $vip/"; }
gale_master() { gale_has_vip && ! ka_has_vip; }
ka_master() { ka_has_vip && ! gale_has_vip; }
said() { grep -q "$1" "$dir/galed.log"; }

cat >"$dir/ka.conf" <<CONF
global_defs {
  router_id ka
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}a
  virtual_router_id 52
  priority 100
  advert_int 0.2
  version 3
  virtual_ipaddress {
    $vip/24
  }
}
CONF
ip netns exec "$ka" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/ka.pid" \
  -r "$dir/ka-vrrp.pid" -c "$dir/ka-chk.pid" >"$dir/keepalived.log" 2>&1 &
disown
wait_for 5000 ka_has_vip >/dev/null || fail "keepalived never became MASTER"

touch "$dir/weighted" "$dir/vital"
cat >"$dir/galed.conf" <<CONF
gale {
  interfaces ${tag}b
  io af_packet
  workers 1
  control_socket $dir/galed.sock
  metrics_listen 127.0.0.1:9479
}
vrrp_script chk_weighted {
  script "/usr/bin/test -e $dir/weighted"
  interval 1
  weight -100
}
vrrp_script chk_vital {
  script "/usr/bin/test -e $dir/vital"
  interval 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}b
  virtual_router_id 52
  priority 150
  advert_int 0.2
  version 3
  track_script {
    chk_weighted
    chk_vital
  }
  track_interface {
    ${tag}x
  }
  virtual_ipaddress {
    $vip/24
  }
}
CONF
ip netns exec "$gl" "$galed" -f "$dir/galed.conf" >"$dir/galed.log" 2>&1 &
galed_pid=$!

# 1. galed (150) preempts keepalived (100).
took=$(wait_for 8000 gale_master) || fail "galed (150) did not take the VIP from keepalived (100)"
echo "galed started: MASTER after $took ms"
vrrp_line() { ip netns exec "$gl" "$galectl" --vrrp --socket "$dir/galed.sock" | grep '^VI_1 ' || true; }
grep -qE '^VI_1 +MASTER +150/150 +10\.78\.0\.100$' <<<"$(vrrp_line)" || fail "galectl --vrrp: $(vrrp_line)"

# 2. The weighted script fails: 150 - 100 = 50 < 100, keepalived takes over.
t0=$(now_ms)
rm "$dir/weighted"
wait_for 6000 ka_master >/dev/null || fail "keepalived did not take over from galed at 50"
echo "weighted script failing -> keepalived MASTER after $(($(now_ms) - t0)) ms"
said "VRRP_Script(chk_weighted) failed" || fail "galed did not log the script's failure"
backup_50() { grep -qE '^VI_1 +BACKUP +50/150 ' <<<"$(vrrp_line)"; }
wait_for 2000 backup_50 >/dev/null || fail "galectl --vrrp: $(vrrp_line)"
# The metrics endpoint: METRIC VALUE for VI_1 (the whole scrape read first: no SIGPIPE).
metric_is() {
  local m
  m=$(ip netns exec "$gl" curl -s http://127.0.0.1:9479/metrics)
  grep -qx "$1{instance=\"VI_1\"} $2" <<<"$m" || fail "metrics: $(grep gale_vrrp <<<"$m")"
}
metric_is gale_vrrp_priority_effective 50
metric_is gale_vrrp_state 1
t0=$(now_ms)
touch "$dir/weighted"
wait_for 6000 gale_master >/dev/null || fail "galed did not preempt again at 150"
echo "weighted script succeeding -> galed MASTER after $(($(now_ms) - t0)) ms"

# 3. The weight 0 script fails: FAULT.
t0=$(now_ms)
rm "$dir/vital"
wait_for 6000 ka_master >/dev/null || fail "keepalived did not take over from galed in FAULT"
echo "weight 0 script failing -> keepalived MASTER after $(($(now_ms) - t0)) ms"
wait_for 2000 said "(VI_1) Entering FAULT STATE" >/dev/null || fail "galed did not enter FAULT"
metric_is gale_vrrp_state 3
t0=$(now_ms)
touch "$dir/vital"
wait_for 8000 gale_master >/dev/null || fail "galed did not come back from FAULT to MASTER"
echo "weight 0 script succeeding -> galed MASTER after $(($(now_ms) - t0)) ms"

# 4. The tracked link goes down (no carrier): FAULT; up again: MASTER.
t0=$(now_ms)
ip -n "$gl" link set "${tag}y" down
wait_for 3000 ka_master >/dev/null || fail "keepalived did not take over when galed's tracked link went down"
echo "tracked link down -> keepalived MASTER after $(($(now_ms) - t0)) ms"
said "link ${tag}x is down" || fail "galed did not log the link going down"
ip -n "$gl" link set "${tag}y" up
wait_for 8000 gale_master >/dev/null || fail "galed did not come back when its tracked link came up"

kill -TERM "$galed_pid"
wait "$galed_pid" || fail "galed exited with an error"
galed_pid=""
echo "ok (vrrp tracking): weighted and weight 0 vrrp_scripts and a tracked link move the VIP between galed and keepalived"
