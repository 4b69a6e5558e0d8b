#!/usr/bin/env bash
# Reloads under load lose nothing:  tests/e2e/lab/reload.sh BUILD_DIR
# galed (DR, AF_XDP, 2 workers) serves a keep-alive wrk run of 8 s while its config is
# rewritten and reloaded with SIGHUP every 0.4 s (weights swapped back and forth), one
# of the reloads being a broken config that must be refused with the running config
# kept. Then: no wrk socket error or non-2xx answer, every reload logged, no frame
# dropped by any worker for any reason, nothing lost on transmit.
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

lab_up dr
lab_start_gale dr 2 af_xdp
pid=$(cat "$LAB_DIR/galed.pid")
cp "$LAB_DIR/gale.conf" "$LAB_DIR/gale.conf.a"
sed 's/weight 3 }/weight 1 }/; s/\(real_server [0-9.]* 80\) { weight 1 }/\1 { weight 3 }/' \
  "$LAB_DIR/gale.conf.a" >"$LAB_DIR/gale.conf.b"
cmp -s "$LAB_DIR/gale.conf.a" "$LAB_DIR/gale.conf.b" && fail "could not make a second config"

in_ns client wrk -t2 -c32 -d8s "http://$LAB_VIP/" >"$LAB_DIR/wrk.out" 2>&1 &
wrk_pid=$!
sleep 0.5
reloads=0
for i in $(seq 1 16); do
  if [ "$i" -eq 8 ]; then
    echo "virtual_server $LAB_VIP 80 { lb_algo wrrr }" >"$LAB_DIR/gale.conf"  # broken
  elif [ $((i % 2)) -eq 0 ]; then
    cp "$LAB_DIR/gale.conf.a" "$LAB_DIR/gale.conf"
    reloads=$((reloads + 1))
  else
    cp "$LAB_DIR/gale.conf.b" "$LAB_DIR/gale.conf"
    reloads=$((reloads + 1))
  fi
  kill -HUP "$pid"
  sleep 0.4
done
cp "$LAB_DIR/gale.conf.a" "$LAB_DIR/gale.conf"
wait $wrk_pid || fail "wrk failed: $(cat "$LAB_DIR/wrk.out")"
grep -E "requests in|Requests/sec" "$LAB_DIR/wrk.out" | sed 's/^ */  /'
! grep -q "Socket errors" "$LAB_DIR/wrk.out" || fail "wrk: $(grep 'Socket errors' "$LAB_DIR/wrk.out")"
! grep -q "Non-2xx" "$LAB_DIR/wrk.out" || fail "wrk got non-2xx answers"
kill -0 "$pid" || fail "galed died"
ok=$(grep -c "galed: reloaded" "$LAB_DIR/galed.log" || true)
refused=$(grep -c "reload failed, keeping the running config" "$LAB_DIR/galed.log" || true)
[ "$ok" -ge $((reloads - 1)) ] || fail "only $ok of $reloads reloads logged"
[ "$refused" -eq 1 ] || fail "the broken config was not refused once ($refused)"
grep "reload failed" "$LAB_DIR/galed.log" | grep -q "did you mean \"wrr\"" ||
  fail "the refusal does not say where and what: $(grep 'reload failed' "$LAB_DIR/galed.log")"
stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" <<'PY' || fail "frames lost: $stats"
import json, sys
s = json.loads(sys.argv[1])
assert s["drops"] == {}, s["drops"]
assert all(w["io_tx_dropped"] == 0 for w in s["workers"]), s["workers"]
assert s["generation"] >= 10, s["generation"]
PY
echo "ok (reload): $ok reloads and 1 refused broken config under load; no socket error, no frame dropped"
echo "e2e reload: 1 passed, 0 failed"
