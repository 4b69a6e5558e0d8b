#!/usr/bin/env bash
# The detection budget of issue 8, measured: tests/e2e/lab/health_budget.sh BUILD_DIR [MODE]
# galed (MODE dr or nat, AF_XDP) checks its three nginx real servers with HTTP_GET (delay_loop 1,
# connect_timeout 1, retry 1, delay_before_retry 1: budget 1 + 1 x (1 + 1) = 3 s, +10%).
# wrk runs through the VIP throughout; rs1's nginx is stopped. Required:
#  - galed marks rs1 down within the budget of the stop (its listing says so);
#  - from then on rs1 gets no new connection and wrk (a fresh run) sees no error;
#  - before the stop, wrk saw no error either;
#  - nginx restarted, rs1 is marked up again and serves requests.
# NAT: galed's own checker connections to RS:80 get answers from the real servers'
# service port, which the dataplane must hand to the kernel (they are addressed to the
# node), not translate as replies to clients (docs/health.md, "NAT real servers").
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
mode=${2:-dr}
export LAB=glh$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (health_budget): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}
now_ms() { date +%s%3N; }
# rs1's health as galed last logged it ("health: real server A:80 of VIP:80 is up|down"):
# "true", "false", or "" before any verdict (an up server is logged only on a change).
rs1_healthy() {
  local line
  line=$(grep -F "health: real server ${LAB_RS[0]}:80 of $LAB_VIP:80 is " "$LAB_DIR/galed.log" | tail -1 || true)
  case $line in
    *" is up") echo true ;;
    *" is down"*) echo false ;;
  esac
}
# wrk's socket errors and non-2xx answers, from its output file.
wrk_errors() {
  local f=$1 e n
  e=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$f")
  n=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$f")
  echo $(( ${e:-0} + ${n:-0} ))
}

lab_up "$mode"
lab_start_gale "$mode" 2 af_xdp
conf=$LAB_DIR/gale.conf
# HTTP_GET on every real server of the TCP service, then a reload.
/usr/bin/python3 - "$conf" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
check = ("{\n    weight \\1\n    HTTP_GET {\n      url {\n        path /\n      }\n"
         "      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }\n  }")
s = re.sub(r"(real_server \S+ 80) \{ weight (\d) \}", lambda m: m.group(1) + " " + check.replace("\\1", m.group(2)), s)
s = s.replace("protocol TCP\n", "protocol TCP\n  delay_loop 1\n", 1)
open(p, "w").write(s)
PY
grep -q HTTP_GET "$conf" || fail "could not add the checkers"
answer=$(lab_ctl '{"cmd":"reload"}')
[[ $answer == *'"ok":true'* ]] || fail "reload with checkers: $answer"
# rs1 starts up (no alpha) and its first checks pass: nothing is logged for it.
sleep 1.5
[ -z "$(rs1_healthy)" ] || fail "rs1 changed state while its nginx ran: $(grep health: "$LAB_DIR/galed.log")"
in_ns client sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"

# Before: no errors.
in_ns client wrk -t1 -c8 -d2s "http://$LAB_VIP/" >"$LAB_DIR/wrk.before" 2>&1
[ "$(wrk_errors "$LAB_DIR/wrk.before")" -eq 0 ] || fail "errors before the stop: $(cat "$LAB_DIR/wrk.before")"

# Stop rs1's nginx under load; time until galed marks it down.
in_ns client wrk -t1 -c8 -d6s "http://$LAB_VIP/" >"$LAB_DIR/wrk.during" 2>&1 &
wrk_pid=$!
sleep 0.5
t0=$(now_ms)
kill "$(cat "$LAB_DIR/rs1/nginx.pid")"
while [ "$(rs1_healthy)" != false ]; do
  [ $(( $(now_ms) - t0 )) -lt 10000 ] || fail "rs1 not marked down 10 s after its nginx stopped"
  sleep 0.02
done
t1=$(now_ms)
detect=$((t1 - t0))
budget=3300
echo "health_budget ($mode): rs1 marked down $detect ms after its nginx stopped (budget $budget ms)"
[ "$detect" -le "$budget" ] || fail "detection took $detect ms > $budget ms"
wait "$wrk_pid" || true
# After: a fresh run sees no error, and rs1 gets no connection.
served_rs1=$(wc -l <"$LAB_DIR/rs1/access.log")
in_ns client wrk -t1 -c8 -d2s "http://$LAB_VIP/" >"$LAB_DIR/wrk.after" 2>&1
[ "$(wrk_errors "$LAB_DIR/wrk.after")" -eq 0 ] || fail "errors after detection: $(cat "$LAB_DIR/wrk.after")"
[ "$(wc -l <"$LAB_DIR/rs1/access.log")" -eq "$served_rs1" ] || fail "rs1 logged requests while stopped"

# Back: restart nginx; rs1 comes back and serves.
t2=$(now_ms)
lab_start_servers rs1
while [ "$(rs1_healthy)" != true ]; do
  [ $(( $(now_ms) - t2 )) -lt 10000 ] || fail "rs1 not marked up 10 s after its nginx restarted"
  sleep 0.02
done
echo "health_budget ($mode): rs1 marked up $(( $(now_ms) - t2 )) ms after its nginx restarted"
before=$(wc -l <"$LAB_DIR/rs1/access.log")
in_ns client wrk -t1 -c8 -d2s "http://$LAB_VIP/" >"$LAB_DIR/wrk.back" 2>&1
[ "$(wrk_errors "$LAB_DIR/wrk.back")" -eq 0 ] || fail "errors after recovery: $(cat "$LAB_DIR/wrk.back")"
[ "$(wc -l <"$LAB_DIR/rs1/access.log")" -gt "$before" ] || fail "rs1 serves nothing after recovery"
echo "health_budget ($mode): OK"
