#!/usr/bin/env bash
# track_file, vrrp_track_process and the notify FIFOs against Debian's keepalived, in
# namespaces on one bridge: galed (priority 150) tracks a file (weight 1) and a process
# (weight 0, a copy of sleep under a name of its own), keepalived (100) is its peer; both
# write their state changes to notify FIFOs.
#  1. the file says 0 and the process runs: galed preempts keepalived;
#  2. the file says -100: galed advertises 50, keepalived takes the VIP; 0 again: back;
#  3. the process is killed: galed enters FAULT, keepalived takes over; started again:
#     galed BACKUP, then MASTER;
#  4. a reload (SIGHUP) writes the instance's state again (fifo_write_vrrp_states_on_reload);
#  5. galed's notify_fifo (read by its notify_fifo_script) and vrrp_notify_fifo (read by
#     a cat in the background) each hold exactly the lines of those transitions, in
#     keepalived's format, and keepalived's own FIFO the same format for its side; the
#     metric of dropped lines says 0.
#   tests/e2e/ha/track_file_process.sh GALED
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v keepalived >/dev/null || { echo "e2e: keepalived missing"; exit 1; }
galed=$(readlink -f "${1:?galed binary}")
tag=gtf$$
ka=${tag}k gl=${tag}g sw=${tag}s
dir=$(mktemp -d /tmp/gale-track-fp.XXXXXX)
galed_pid="" proc_pid="" cat_pid=""
cleanup() {
  [ -n "$galed_pid" ] && kill "$galed_pid" 2>/dev/null
  for p in $proc_pid $cat_pid; do kill "$p" 2>/dev/null || true; done
  remove_netns "$ka" "$gl" "$sw"
  rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fail() {
  echo "FAIL (track_file/track_process): $*" >&2
  for f in "$dir"/*.log "$dir"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

make_switch
join "$ka" "${tag}a" 10.79.0.1
join "$gl" "${tag}b" 10.79.0.2
vip=10.79.0.100
ka_has_vip() { ip -n "$ka" -4 addr show dev "${tag}a" | grep -q " $vip/"; }
gale_has_vip() { ip -n "$gl" -4 addr show dev "${tag}b" | grep -q " $vip/"; }
gale_master() { gale_has_vip && ! ka_has_vip; }
ka_master() { ka_has_vip && ! gale_has_vip; }
said() { grep -q "$1" "$dir/galed.log"; }

cat >"$dir/ka.conf" <<CONF
global_defs {
  router_id ka
  vrrp_notify_fifo $dir/ka.fifo
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}a
  virtual_router_id 53
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
cat "$dir/ka.fifo" >"$dir/ka-fifo.out" &
cat_pid=$!

# The tracked process: sleep under a name no other process has (comm is 15 characters).
proc=gtp$$
proc=${proc:0:15}
cp "$(command -v sleep)" "$dir/$proc"
start_proc() {
  "$dir/$proc" 1000 &
  proc_pid=$!
}
start_proc
echo 0 >"$dir/prio"
# The notify_fifo_script gets the FIFO's path as its last argument.
printf '#!/bin/sh\nexec cat "$1" >%s\n' "$dir/script-fifo.out" >"$dir/reader.sh"
chmod +x "$dir/reader.sh"
cat >"$dir/galed.conf" <<CONF
gale {
  interfaces ${tag}b
  io af_packet
  workers 1
  control_socket $dir/galed.sock
  metrics_listen 127.0.0.1:9481
}
global_defs {
  notify_fifo $dir/notify.fifo
  notify_fifo_script $dir/reader.sh
  vrrp_notify_fifo $dir/vrrp.fifo
  fifo_write_vrrp_states_on_reload
}
track_file prio {
  file $dir/prio
}
vrrp_track_process sleeper {
  process $proc
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${tag}b
  virtual_router_id 53
  priority 150
  advert_int 0.2
  version 3
  track_file {
    prio
  }
  track_process {
    sleeper
  }
  virtual_ipaddress {
    $vip/24
  }
}
CONF
ip netns exec "$gl" "$galed" -f "$dir/galed.conf" >"$dir/galed.log" 2>&1 &
galed_pid=$!
wait_for 3000 test -p "$dir/vrrp.fifo" >/dev/null || fail "galed did not create its vrrp_notify_fifo"
cat "$dir/vrrp.fifo" >"$dir/vrrp-fifo.out" &
cat_pid="$cat_pid $!"

# 1. galed (150) preempts keepalived (100).
took=$(wait_for 8000 gale_master) || fail "galed (150) did not take the VIP from keepalived (100)"
echo "galed started: MASTER after $took ms"

# 2. The file says -100: 150 - 100 = 50 < 100, keepalived takes over; 0: galed again.
t0=$(now_ms)
echo -100 >"$dir/prio"
wait_for 4000 ka_master >/dev/null || fail "keepalived did not take over from galed at 50"
echo "track_file -100 -> keepalived MASTER after $(($(now_ms) - t0)) ms"
said "track_file prio is now -100" || fail "galed did not log the file's new value"
t0=$(now_ms)
echo 0 >"$dir/prio"
wait_for 4000 gale_master >/dev/null || fail "galed did not preempt again at 150"
echo "track_file 0 -> galed MASTER after $(($(now_ms) - t0)) ms"

# 3. The process dies: FAULT (weight 0); it runs again: BACKUP, then MASTER.
t0=$(now_ms)
kill "$proc_pid"
wait "$proc_pid" 2>/dev/null || true
proc_pid=""
wait_for 4000 ka_master >/dev/null || fail "keepalived did not take over when the process died"
echo "tracked process killed -> keepalived MASTER after $(($(now_ms) - t0)) ms"
wait_for 2000 said "Quorum lost for tracked process sleeper" >/dev/null ||
  fail "galed did not log the lost quorum"
wait_for 2000 said "(VI_1) Entering FAULT STATE" >/dev/null || fail "galed did not enter FAULT"
t0=$(now_ms)
start_proc
wait_for 6000 gale_master >/dev/null || fail "galed did not come back when the process ran again"
echo "tracked process started -> galed MASTER after $(($(now_ms) - t0)) ms"

# 4. A reload writes the states as they are.
kill -HUP "$galed_pid"
wait_for 3000 said "reloaded $dir/galed.conf" >/dev/null || fail "galed did not reload"
metrics=$(ip netns exec "$gl" curl -s http://127.0.0.1:9481/metrics)
grep -qx "gale_vrrp_notify_fifo_dropped_total{fifo=\"$dir/vrrp.fifo\"} 0" <<<"$metrics" ||
  fail "metrics: $(grep notify_fifo <<<"$metrics")"

kill -TERM "$galed_pid"
wait "$galed_pid" || fail "galed exited with an error"
galed_pid=""
[ ! -e "$dir/vrrp.fifo" ] || fail "galed left the FIFO it created behind"

# 5. The FIFOs: every transition, in order, in keepalived's words.
want='INSTANCE "VI_1" BACKUP 150
INSTANCE "VI_1" MASTER 150
INSTANCE "VI_1" BACKUP 50
INSTANCE "VI_1" MASTER 150
INSTANCE "VI_1" FAULT 150
INSTANCE "VI_1" BACKUP 150
INSTANCE "VI_1" MASTER 150
INSTANCE "VI_1" MASTER 150
INSTANCE "VI_1" STOP 150'
fifo_done() { [ "$(wc -l <"$1")" -ge 9 ]; }
for out in vrrp-fifo.out script-fifo.out; do
  wait_for 2000 fifo_done "$dir/$out" >/dev/null || true
  [ "$(cat "$dir/$out")" = "$want" ] || fail "$out: got
$(cat "$dir/$out")
want
$want"
done
# keepalived's FIFO, for its side of the same story: the same format.
ka_lines() { [ "$(grep -c MASTER "$dir/ka-fifo.out")" -ge 3 ]; }
wait_for 3000 ka_lines >/dev/null || fail "keepalived's FIFO: $(cat "$dir/ka-fifo.out")"
grep -vqE '^INSTANCE "VI_1" (MASTER|BACKUP|FAULT) 100$' "$dir/ka-fifo.out" &&
  fail "keepalived's FIFO has a line of another shape: $(cat "$dir/ka-fifo.out")"
echo "keepalived's FIFO said: $(tr '\n' ';' <"$dir/ka-fifo.out")"
echo "ok (track_file/track_process/notify_fifo): a file's value and a process's quorum move the VIP between galed and keepalived; the FIFOs say each transition"
