#!/usr/bin/env bash
# Reloads under load schedule new connections and lose nothing:
#   tests/e2e/lab/reload.sh BUILD_DIR
# galed (NAT, AF_XDP, 2 workers) serves a 10 s wrk run of new connections (one request
# per connection, so every reload's weights schedule something) while its config is
# rewritten and reloaded: weights swapped back and forth by SIGHUP every 0.4 s, a broken
# config by SIGHUP and one through the control socket (both refused, the running config
# kept), then rs1 quiesced (weight 0: it must get no new connection) and rs3 removed (no
# new connection either). Then: no wrk socket error or non-2xx answer, and every drop
# counter that must stay zero is zero (engine drops, rx/tx/kernel losses, hand-off ring).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=glr$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (reload): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}
served() { wc -l <"$LAB_DIR/$1/access.log"; }
# Reloads by SIGHUP and waits until galed has logged one more outcome of `kind`.
reload_and_wait() {
  local kind=$1 before
  before=$(grep -c "$kind" "$LAB_DIR/galed.log" || true)
  kill -HUP "$pid"
  for _ in $(seq 1 100); do
    [ "$(grep -c "$kind" "$LAB_DIR/galed.log" || true)" -gt "$before" ] && return 0
    sleep 0.02
  done
  fail "no \"$kind\" after a reload"
}

lab_up nat
lab_start_gale nat 2 af_xdp
pid=$(cat "$LAB_DIR/galed.pid")
conf=$LAB_DIR/gale.conf
cp "$conf" "$conf.a"
sed 's/weight 3 }/weight 1 }/; s/\(real_server [0-9.]* 80\) { weight 1 }/\1 { weight 3 }/' \
  "$conf.a" >"$conf.b"
cmp -s "$conf.a" "$conf.b" && fail "could not make a second config"
sed "s/\(real_server ${LAB_RS[0]} 80\) { weight 1 }/\1 { weight 0 }/" "$conf.a" >"$conf.quiesced"
grep -v "real_server ${LAB_RS[2]} " "$conf.a" >"$conf.removed"
# Many short connections: let the client reuse TIME_WAIT ports.
in_ns client sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"

in_ns client wrk -t2 -c16 -d10s -H "Connection: close" "http://$LAB_VIP/" >"$LAB_DIR/wrk.out" 2>&1 &
wrk_pid=$!
sleep 0.5
reloads=0
for i in $(seq 1 12); do
  if [ "$i" -eq 6 ]; then
    echo "virtual_server $LAB_VIP 80 { lb_algo wrrr }" >"$conf"  # broken
    reload_and_wait "reload failed"
    # The same through the control socket: refused, and said so.
    answer=$(lab_ctl '{"cmd":"reload"}')
    grep -q '"ok":false' <<<"$answer" || fail "control socket reload of a broken config: $answer"
    grep -q 'did you mean \\"wrr\\"' <<<"$answer" || fail "the refusal does not say why: $answer"
    continue
  fi
  cp "$conf.$([ $((i % 2)) -eq 0 ] && echo a || echo b)" "$conf"
  reload_and_wait "galed: reloaded"
  reloads=$((reloads + 1))
  sleep 0.3
done
answer=$(lab_ctl '{"cmd":"stats"}')
grep -q '"ok":true' <<<"$answer" || fail "stats after the reloads: $answer"

# Quiesce rs1: after the reload (and the connections then open), it gets none.
cp "$conf.quiesced" "$conf"
reload_and_wait "galed: reloaded"
sleep 0.3
n1=$(served rs1)
sleep 1.5
[ "$(served rs1)" -eq "$n1" ] || fail "rs1 (weight 0) got $(($(served rs1) - n1)) new connections"
# Remove rs3 (rs1 back): rs3 gets no new connection, rs1 does again.
cp "$conf.removed" "$conf"
reload_and_wait "galed: reloaded"
sleep 0.3
n1=$(served rs1)
n3=$(served rs3)
sleep 1.5
[ "$(served rs3)" -eq "$n3" ] || fail "rs3 (removed) got $(($(served rs3) - n3)) new connections"
[ "$(served rs1)" -gt "$n1" ] || fail "rs1 (weight 1 again) got no new connection"

wait $wrk_pid || fail "wrk failed: $(cat "$LAB_DIR/wrk.out")"
grep -E "requests in|Requests/sec" "$LAB_DIR/wrk.out" | sed 's/^ */  /'
! grep -q "Socket errors" "$LAB_DIR/wrk.out" || fail "wrk: $(grep 'Socket errors' "$LAB_DIR/wrk.out")"
! grep -q "Non-2xx" "$LAB_DIR/wrk.out" || fail "wrk got non-2xx answers"
kill -0 "$pid" || fail "galed died"
refused=$(grep -c "reload failed, keeping the running config" "$LAB_DIR/galed.log" || true)
[ "$refused" -eq 2 ] || fail "the broken config was not refused twice ($refused)"
[[ "$(grep "reload failed" "$LAB_DIR/galed.log")" == *'did you mean "wrr"'* ]] ||
  fail "the refusal does not say where and what: $(grep 'reload failed' "$LAB_DIR/galed.log")"
stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" "$reloads" <<'PY' || fail "frames lost: $stats"
import json, sys
s, reloads = json.loads(sys.argv[1]), int(sys.argv[2])
assert s["drops"] == {}, s["drops"]
for k in ("io_tx_dropped", "io_rx_dropped", "io_kernel_dropped", "handoff_dropped"):
    assert s[k] == 0, (k, s[k])
assert s["flows_created"] > 1000, s["flows_created"]  # new connections, not keep-alive
assert s["generation"] >= reloads + 3, s["generation"]
PY
echo "ok (reload): $reloads reloads, 2 refused broken configs, a quiesced and a removed server under new connections; no socket error, no frame dropped"
echo "e2e reload: 1 passed, 0 failed"
