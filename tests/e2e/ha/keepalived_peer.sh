#!/usr/bin/env bash
# gale's VRRP on the wire with Debian's keepalived as its peer (issue 9's mixed group),
# for VRRP v2 and v3 over multicast and v3 over unicast, in two namespaces joined by a
# veth pair:
#  1. keepalived (priority 150) is MASTER; gale (100) joins and stays BACKUP;
#  2. keepalived is killed (SIGKILL): gale is MASTER within Master_Down_Interval;
#  3. keepalived comes back with priority 50: it stays BACKUP under gale;
#  4. gale stops cleanly (priority 0): keepalived is MASTER within Skew_Time (not the
#     full down interval).
#   tests/e2e/ha/keepalived_peer.sh VRRP_PEER_BINARY
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v keepalived >/dev/null || { echo "e2e: keepalived missing"; exit 1; }
peer_bin=$(readlink -f "${1:?vrrp_peer binary}")
tag=gkp$$
ka=${tag}k gl=${tag}g
dir=$(mktemp -d /tmp/gale-vrrp-e2e.XXXXXX)
peer_pid=""
cleanup() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
  for ns in "$ka" "$gl"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (keepalived_peer v$version $cast): $*" >&2
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  exit 1
}
now_ms() { date +%s%3N; }

ip netns add "$ka"
ip netns add "$gl"
ip link add "${tag}a" netns "$ka" type veth peer name "${tag}b" netns "$gl"
ip -n "$ka" addr add 10.77.0.1/24 dev "${tag}a"
ip -n "$gl" addr add 10.77.0.2/24 dev "${tag}b"
for ns in "$ka" "$gl"; do ip -n "$ns" link set lo up; done
ip -n "$ka" link set "${tag}a" up
ip -n "$gl" link set "${tag}b" up
vip=10.77.0.100

ka_has_vip() { ip -n "$ka" -4 addr show dev "${tag}a" | grep -q " $vip/"; }
start_keepalived() {  # PRIORITY
  rm -f "$dir"/ka*.pid  # a killed keepalived leaves its pid files ("already running")
  cat >"$dir/ka.conf" <<CONF
global_defs {
  router_id ka
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}a
  virtual_router_id 51
  priority $1
  advert_int 1
  version $version
$unicast_conf
  virtual_ipaddress {
    $vip/24
  }
}
CONF
  ip netns exec "$ka" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/ka.pid" \
    -r "$dir/ka-vrrp.pid" -c "$dir/ka-chk.pid" >>"$dir/keepalived.log" 2>&1 &
  disown
}
# A silent death: the processes go, and (the node being gone) so does the VIP they left.
kill_keepalived() {
  ip netns pids "$ka" | xargs -r kill -9
  ip -n "$ka" addr del "$vip/24" dev "${tag}a" 2>/dev/null || true
}
peer_said() { grep -q " $1\$" "$dir/peer.log" 2>/dev/null; }
# Polls CONDITION every 20 ms for at most MS milliseconds; prints the ms it took.
wait_for() {
  local ms=$1 t0
  shift
  t0=$(now_ms)
  while ! "$@"; do
    [ $(($(now_ms) - t0)) -le "$ms" ] || return 1
    sleep 0.02
  done
  echo $(($(now_ms) - t0))
}
# Fails if CONDITION becomes true within MS milliseconds.
holds_not() {
  local ms=$1 t0
  shift
  t0=$(now_ms)
  while [ $(($(now_ms) - t0)) -le "$ms" ]; do
    if "$@"; then return 1; fi
    sleep 0.05
  done
}

for run in "2 multicast" "3 multicast" "3 unicast"; do
  read -r version cast <<<"$run"
  unicast_conf="" peer_arg=()
  if [ "$cast" = unicast ]; then
    unicast_conf="  unicast_src_ip 10.77.0.1
  unicast_peer {
    10.77.0.2
  }"
    peer_arg=(10.77.0.1)
  fi
  rm -f "$dir"/*.log
  # 1. keepalived MASTER, then gale joins below it.
  start_keepalived 150
  wait_for 6000 ka_has_vip >/dev/null || fail "keepalived never became MASTER"
  ip netns exec "$gl" "$peer_bin" "${tag}b" 10.77.0.2 51 100 "$version" 1 "$vip" \
    "${peer_arg[@]}" >"$dir/peer.log" 2>"$dir/peer.err" &
  peer_pid=$!
  wait_for 2000 peer_said BACKUP >/dev/null || fail "gale did not start as BACKUP"
  # Longer than gale's Master_Down_Interval (3 x 1 s + (256 - 100) / 256 s): it must
  # keep hearing keepalived's adverts.
  holds_not 4500 peer_said MASTER || fail "gale became MASTER under a live keepalived"
  ka_has_vip || fail "keepalived lost the VIP while gale joined"

  # 2. keepalived dies silently.
  kill_keepalived
  took=$(wait_for 5000 peer_said MASTER) || fail "gale did not take over from a dead keepalived"
  down_ms=$((3000 + (256 - 100) * 1000 / 256))
  [ "$took" -le $((down_ms + 400)) ] ||
    fail "gale took over after $took ms (Master_Down_Interval $down_ms ms)"
  # Not before: it heard keepalived until the kill (the last advert at most 1 s before).
  [ "$took" -ge $((down_ms - 1000 - 200)) ] ||
    fail "gale took over only $took ms after the kill: it was not following keepalived"
  echo "v$version $cast: keepalived killed -> gale MASTER after $took ms (Master_Down_Interval $down_ms ms)"

  # 3. keepalived returns below gale: it must stay BACKUP.
  start_keepalived 50
  holds_not 5000 ka_has_vip || fail "keepalived (50) took the VIP from gale (100)"
  grep -q "Entering BACKUP STATE" "$dir/keepalived.log" || fail "keepalived never said BACKUP"

  # 4. gale leaves cleanly: priority 0, keepalived takes over after its Skew_Time.
  kill -TERM "$peer_pid"
  wait "$peer_pid" || fail "vrrp_peer exited with an error"
  peer_pid=""
  took=$(wait_for 3000 ka_has_vip) || fail "keepalived did not take over after gale's priority 0"
  skew_ms=$(((256 - 50) * 1000 / 256))
  [ "$took" -le $((skew_ms + 500)) ] ||
    fail "keepalived took over $took ms after gale's priority 0 (Skew_Time $skew_ms ms)"
  echo "v$version $cast: gale stopped (priority 0) -> keepalived MASTER after $took ms (Skew_Time $skew_ms ms)"
  grep -q "received 0 " "$dir/peer.err" && fail "gale received no advert: $(cat "$dir/peer.err")"
  kill_keepalived
done
echo "ok (keepalived_peer): gale and keepalived elect, fail over and fail back: v2 and v3 multicast, v3 unicast"
