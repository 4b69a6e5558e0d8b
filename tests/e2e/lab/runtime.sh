#!/usr/bin/env bash
# Runtime changes through the control socket, with real traffic:
#   tests/e2e/lab/runtime.sh BUILD_DIR
# galed (DR, AF_PACKET, 1 worker) starts from a file without the TCP :80 service; a
# service and two real servers are added by socat on the control socket, and curl
# through the VIP reaches both. set_health takes rs1 down: no new connection reaches it.
# A reload (the file unchanged) keeps the runtime service, its servers and the verdict.
# A refused command (a duplicate service) says why and changes nothing.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=glt$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (runtime): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}
ok() {
  local answer
  answer=$(lab_ctl "$1")
  [[ $answer == *'"ok":true'* ]] || fail "$1 -> $answer"
}
# Waits until galed has logged one more "$1".
reload_and_wait() {
  local before
  before=$(grep -c "galed: reloaded" "$LAB_DIR/galed.log" || true)
  kill -HUP "$(cat "$LAB_DIR/galed.pid")"
  for _ in $(seq 1 100); do
    [ "$(grep -c "galed: reloaded" "$LAB_DIR/galed.log" || true)" -gt "$before" ] && return 0
    sleep 0.02
  done
  fail "no reload"
}
# Servers that answered N fresh connections through the VIP, one name a line.
answers() {
  for _ in $(seq 1 "$1"); do
    in_ns client curl -sf -m3 "http://$LAB_VIP/" || echo FAILED
  done
}

lab_up dr
lab_start_gale dr 1 af_packet
conf=$LAB_DIR/gale.conf
# The file keeps the UDP service only.
awk '/^virtual_server .* 80 \{/ {skip = 1} skip && /^\}/ {skip = 0; next} !skip' "$conf" \
  >"$conf.udp"
grep -q "$LAB_VIP 80 " "$conf.udp" && fail "could not drop the :80 service from the config"
cp "$conf.udp" "$conf"
reload_and_wait
in_ns client curl -sf -m1 "http://$LAB_VIP/" >/dev/null && fail "the VIP answered without a service"

svc="{\"proto\":\"tcp\",\"vip\":\"$LAB_VIP\",\"port\":80}"
ok "{\"cmd\":\"add_service\",\"service\":{\"proto\":\"tcp\",\"vip\":\"$LAB_VIP\",\"port\":80,\"sched\":\"rr\"}}"
ok "{\"cmd\":\"add_dest\",\"service\":$svc,\"dest\":{\"addr\":\"${LAB_RS[0]}\",\"port\":80}}"
ok "{\"cmd\":\"add_dest\",\"service\":$svc,\"dest\":{\"addr\":\"${LAB_RS[1]}\",\"port\":80}}"
got=$(answers 10 | sort | uniq -c)
grep -q FAILED <<<"$got" && fail "curl through the runtime service failed: $got"
grep -q rs1 <<<"$got" && grep -q rs2 <<<"$got" || fail "rr did not reach both servers: $got"

# A duplicate is refused, with the reason.
answer=$(lab_ctl "{\"cmd\":\"add_service\",\"service\":$svc}")
[[ $answer == *'already exists'* ]] || fail "duplicate add_service: $answer"

ok "{\"cmd\":\"set_health\",\"service\":$svc,\"dest\":{\"addr\":\"${LAB_RS[0]}\",\"port\":80},\"healthy\":false}"
got=$(answers 10 | sort | uniq -c)
grep -q FAILED <<<"$got" && fail "curl after set_health failed: $got"
grep -q rs1 <<<"$got" && fail "a new connection went to rs1, which is down: $got"

reload_and_wait
listing=$(lab_ctl '{"cmd":"listing"}')
[[ $listing == *'"origin":"runtime"'* ]] || fail "the runtime service is gone after a reload: $listing"
got=$(answers 10 | sort | uniq -c)
grep -q FAILED <<<"$got" && fail "curl after the reload failed: $got"
grep -q rs1 <<<"$got" && fail "rs1 came back with the reload: $got"
grep -q rs2 <<<"$got" || fail "rs2 does not serve after the reload: $got"
ok "{\"cmd\":\"delete_service\",\"service\":$svc}"
in_ns client curl -sf -m1 "http://$LAB_VIP/" >/dev/null && fail "the VIP answered after delete_service"
echo "runtime: ok"
