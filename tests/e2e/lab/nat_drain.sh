#!/usr/bin/env bash
# NAT drain through galed:  tests/e2e/lab/nat_drain.sh IO BUILD_DIR  (IO: af_xdp af_packet)
# Six slow downloads (4 MB each, curl --limit-rate) run through a NAT service of three
# nginx servers; a server that carries some of them is removed from the config by a
# SIGHUP reload. A removed NAT server keeps draining: its replies must still be steered
# to the dataplane and translated (before, only live servers' sources were steered, so
# on AF_XDP a draining connection lost its replies). Checks: every download finishes
# (curl exit 0, sha256 of the whole body), at least one of them from the removed
# server; new connections after the reload never reach it; no frame dropped and
# nothing lost on transmit (the control socket's stats).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
io=${1:?io}
export GALE_BUILD=$(cd "${2:?build dir}" && pwd)
export LAB=gld$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (nat_drain/$io): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -20 "$LAB_DIR/galed.log" >&2
  lab_ctl '{"cmd":"stats"}' 2>/dev/null | head -c 3000 >&2 || true
  exit 1
}
pass() { echo "ok (nat_drain/$io): $*"; }
PORT=8081

lab_up nat
head -c 4M /dev/urandom >"$LAB_DIR/big.bin"
want=$(sha256sum <"$LAB_DIR/big.bin" | cut -d' ' -f1)
# A second nginx on each server: the big file, and who answered (body and header).
for i in 1 2 3; do
  d="$LAB_DIR/rs$i/big"
  mkdir -p "$d/www"
  cp "$LAB_DIR/big.bin" "$d/www/big.bin"
  cat >"$d/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen $PORT;
    root $d/www;
    add_header X-RS rs$i;
    location = /who { return 200 "rs$i\n"; }
  }
}
NGINX
  ip netns exec "$(ns rs$i)" nginx -c "$d/nginx.conf" -p "$d" >/dev/null 2>&1 &
  tries=0
  until in_ns rs$i curl -sf -m1 "http://127.0.0.1:$PORT/who" >/dev/null 2>&1; do
    tries=$((tries + 1)); [ $tries -lt 100 ] || fail "nginx :$PORT on rs$i did not start"; sleep 0.05
  done
done

conf() {  # the config, without the real servers named in $@
  cat <<CONF
gale {
  interfaces eth0
  workers 2
  io $io
  flows 65536
  flows6 1024
  control_socket $LAB_DIR/gale.sock
}
virtual_server $LAB_VIP $PORT {
  lb_algo rr
  lb_kind NAT
  protocol TCP
CONF
  local i
  for i in 0 1 2; do
    case " $* " in *" ${LAB_RS[$i]} "*) continue ;; esac
    echo "  real_server ${LAB_RS[$i]} $PORT { weight 1 }"
  done
  echo "}"
}
conf >"$LAB_DIR/gale.conf"
ip netns exec "$(ns gale)" "$GALE_BUILD/galed" -f "$LAB_DIR/gale.conf" >"$LAB_DIR/galed.log" 2>&1 &
echo $! >"$LAB_DIR/galed.pid"
pid=$(cat "$LAB_DIR/galed.pid")
tries=0
until [[ "$(lab_ctl '{"cmd":"stats"}' 2>/dev/null)" == *'"ok":true'* ]]; do
  tries=$((tries + 1))
  [ $tries -lt 200 ] && kill -0 "$pid" 2>/dev/null || fail "galed did not start"
  sleep 0.05
done
body=$(in_ns client curl -sf -m3 "http://$LAB_VIP:$PORT/who") || fail "the service does not answer"
pass "service answers ($body)"

# 1. Six slow downloads.
dl_pids=()
for i in 1 2 3 4 5 6; do
  in_ns client curl -sf -m60 --limit-rate 800K -o "$LAB_DIR/dl$i" -D "$LAB_DIR/dl$i.h" \
    "http://$LAB_VIP:$PORT/big.bin" &
  dl_pids+=($!)
done
established() {  # connections rs$1 serves on $PORT
  in_ns "rs$1" ss -Htn state established "( sport = :$PORT )" | wc -l
}
tries=0
until [ $(($(established 1) + $(established 2) + $(established 3))) -ge 6 ]; do
  tries=$((tries + 1)); [ $tries -lt 200 ] || fail "the downloads did not all start"; sleep 0.05
done
victim=""
for i in 1 2 3; do [ "$(established $i)" -gt 0 ] && { victim=$i; break; }; done
[ -n "$victim" ] || fail "no server carries a download"
n_victim=$(established $victim)

# 2. Remove it under load.
conf "${LAB_RS[$((victim - 1))]}" >"$LAB_DIR/gale.conf"
kill -HUP "$pid"
tries=0
until grep -q "galed: reloaded" "$LAB_DIR/galed.log"; do
  tries=$((tries + 1)); [ $tries -lt 200 ] || fail "the reload was not logged"; sleep 0.05
done
pass "rs$victim (carrying $n_victim downloads) removed by SIGHUP"

# 3. New connections avoid it.
for i in $(seq 1 20); do
  body=$(in_ns client curl -sf -m3 "http://$LAB_VIP:$PORT/who") || fail "curl $i after the reload failed"
  [ "$body" != "rs$victim" ] || fail "a new connection went to the removed rs$victim"
done
pass "20 new connections, none to rs$victim"

# 4. The established downloads finish, whole.
from_victim=0
for i in 1 2 3 4 5 6; do
  wait "${dl_pids[$((i - 1))]}" || fail "download $i failed (curl exit $?)"
  got=$(sha256sum <"$LAB_DIR/dl$i" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "download $i: body differs ($(stat -c %s "$LAB_DIR/dl$i") bytes)"
  grep -qi "^X-RS: rs$victim" "$LAB_DIR/dl$i.h" && from_victim=$((from_victim + 1))
done
[ $from_victim -eq "$n_victim" ] || fail "$from_victim downloads came from rs$victim, expected $n_victim"
pass "6 downloads complete and intact, $from_victim of them drained from the removed rs$victim"

stats=$(lab_ctl '{"cmd":"stats"}')
/usr/bin/python3 - "$stats" <<'PY' || fail "frames dropped or lost: $stats"
import json, sys
s = json.loads(sys.argv[1])
assert s["drops"] == {}, s["drops"]
assert all(w["io_tx_dropped"] == 0 for w in s["workers"]), s["workers"]
PY
pass "no frame dropped, nothing lost on transmit"
echo "e2e nat_drain/$io: 1 passed, 0 failed"
