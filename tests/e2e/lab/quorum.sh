#!/usr/bin/env bash
# keepalived's quorum and sorry server through galed (NAT, AF_XDP), with real nginx:
#   tests/e2e/lab/quorum.sh BUILD_DIR
# The TCP service's real servers (weights 1, 2, 3) get TCP_CHECKs (delay_loop 1) and
# `quorum 6`: the service holds its quorum only while all three are up. A second nginx on
# rs1:8080 answering "sorry" is the sorry_server. Required:
#  - all up: requests are served by rs1..rs3, never by the sorry server;
#  - rs1's nginx stopped: galed logs the lost quorum, runs quorum_down (it writes a file),
#    and every request is answered "sorry";
#  - rs1's nginx back: galed logs the regained quorum, runs quorum_up, and the real
#    servers serve again; `galectl -L -n` lists the sorry server only while it serves.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=glq$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (quorum): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}
# Polls a condition (a command) for up to 10 s.
wait_for() {
  local what=$1 i
  shift
  for i in $(seq 1 500); do
    "$@" && return 0
    sleep 0.02
  done
  fail "not within 10 s: $what"
}
logged() { grep -qF "$1" "$LAB_DIR/galed.log"; }
# Twelve requests through the VIP (new connections); prints the answers, one per line.
answers() {
  local i
  for i in $(seq 1 12); do in_ns client curl -s --max-time 2 "http://$LAB_VIP/" || echo "(error)"; done
}

lab_up nat
lab_start_gale nat 1 af_xdp
conf=$LAB_DIR/gale.conf
rs1=${LAB_RS[0]}
/usr/bin/python3 - "$conf" "$LAB_DIR" "$rs1" <<'PY'
import re, sys
p, d, rs1 = sys.argv[1:4]
s = open(p).read()
check = "{\n    weight \\2\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }"
s = re.sub(r"(real_server \S+ 80) \{ weight (\d) \}", lambda m: m.group(1) + " " + check.replace("\\2", m.group(2)), s)
s = s.replace("protocol TCP\n", "protocol TCP\n  delay_loop 1\n  quorum 6\n"
              f"  quorum_up \"/bin/touch {d}/quorum.up\"\n"
              f"  quorum_down \"/bin/touch {d}/quorum.down\"\n"
              f"  sorry_server {rs1} 8080\n", 1)
open(p, "w").write(s)
PY
grep -q "sorry_server" "$conf" || fail "could not write the config"
# The sorry server: a second nginx on rs1, port 8080.
mkdir -p "$LAB_DIR/sorry"
cat >"$LAB_DIR/sorry/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $LAB_DIR/sorry/nginx.pid;
error_log $LAB_DIR/sorry/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 8080; location / { return 200 "sorry\n"; } }
}
NGINX
in_ns rs1 nginx -c "$LAB_DIR/sorry/nginx.conf" -p "$LAB_DIR/sorry" >/dev/null 2>&1 &
wait_for "the sorry nginx answers" in_ns rs1 curl -sf -o /dev/null "http://127.0.0.1:8080/"

answer=$(lab_ctl '{"cmd":"reload"}')
[[ $answer == *'"ok":true'* ]] || fail "reload with quorum and checkers: $answer"

# All up: the real servers serve, the sorry server is not in the pool.
got=$(answers)
grep -q '^rs' <<<"$got" || fail "no real server answered: $got"
! grep -q 'sorry\|(error)' <<<"$got" || fail "with every server up: $got"
in_ns gale env GALE_SOCKET="$LAB_DIR/gale.sock" "$GALE_BUILD/galectl" -L -n >"$LAB_DIR/list.up" ||
  fail "galectl -L -n: $(cat "$LAB_DIR/list.up")"
! grep -q ":8080" "$LAB_DIR/list.up" || fail "sorry server listed while unused: $(cat "$LAB_DIR/list.up")"

# rs1 down: weights 2 + 3 = 5 < 6, the quorum is lost and the sorry server serves.
kill "$(cat "$LAB_DIR/rs1/nginx.pid")"
wait_for "galed logs the lost quorum" logged "quorum: $LAB_VIP:80 lost quorum"
wait_for "quorum_down ran" test -e "$LAB_DIR/quorum.down"
got=$(answers)
[ "$(grep -c '^sorry$' <<<"$got")" -eq 12 ] || fail "quorum lost, not every answer from the sorry server: $got"
in_ns gale env GALE_SOCKET="$LAB_DIR/gale.sock" "$GALE_BUILD/galectl" -L -n >"$LAB_DIR/list.lost"
grep -q "$rs1:8080" "$LAB_DIR/list.lost" || fail "sorry server not listed: $(cat "$LAB_DIR/list.lost")"
echo "quorum: lost with rs1 down; 12 of 12 requests answered by the sorry server"

# rs1 back: the quorum is regained, quorum_up runs, the real servers serve again.
lab_start_servers rs1
wait_for "galed logs the regained quorum" logged "quorum: $LAB_VIP:80 gained quorum"
wait_for "quorum_up ran" test -e "$LAB_DIR/quorum.up"
got=$(answers)
! grep -q 'sorry\|(error)' <<<"$got" || fail "quorum regained, still: $got"
echo "quorum: OK"
