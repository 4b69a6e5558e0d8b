#!/usr/bin/env bash
# The PROXY protocol behind FullNAT, end to end through galed (issue 11):
#   tests/e2e/lab/proxy.sh VERSION IO BUILD_DIR      VERSION: v1 v2; IO: af_xdp af_packet
# The dual-stack lab (lab/lib.sh, LAB_V6=1, LAB_PROXY) in FullNAT: the :80 services
# (IPv4 and IPv6 VIPs) carry `proxy_protocol VERSION`, the real servers' nginx reads it
# (`listen 80 proxy_protocol`); rs1 also runs HAProxy (`bind ... accept-proxy`) behind a
# :8081 service; :81 is the same nginx without the header, for the comparison.
# Checks, for each family: nginx's $proxy_protocol_addr and HAProxy's %[src] are the
# client's address while the connection still comes from a local address; a 32 MiB
# download and upload arrive whole (sha256) with few retransmissions; wrk with and
# without keep-alive has no socket error and every logged request names the client;
# the headers are counted; nothing is dropped. Prints requests/s with the header and
# without (:81), not asserted. One worker (see lab_start_gale below).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
ver=${1:?version v1|v2}
io=${2:?io}
export GALE_BUILD=$(cd "${3:?build dir}" && pwd)
command -v haproxy >/dev/null || { echo "e2e: haproxy not installed; skipped"; exit 77; }
export LAB=glp$$ LAB_V6=1 LAB_PROXY=$ver
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT

fail() {
  echo "FAIL (proxy $ver/$io): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -20 "$LAB_DIR/galed.log" >&2
  lab_ctl '{"cmd":"stats"}' 2>/dev/null | head -c 3000 >&2 || true
  exit 1
}
pass() { echo "ok (proxy $ver/$io): $*"; }

LAB_EXTRA_CONF="
virtual_server $LAB_VIP 8081 {
  lb_algo rr
  lb_kind FNAT
  protocol TCP
  proxy_protocol $ver
  real_server ${LAB_RS[0]} 8081 { weight 1 }
}
virtual_server $LAB_VIP6 8081 {
  lb_algo rr
  lb_kind FNAT
  protocol TCP
  proxy_protocol $ver
  real_server ${LAB_RS6[0]} 8081 { weight 1 }
}
virtual_server $LAB_VIP 8082 {
  lb_algo rr
  lb_kind FNAT
  protocol TCP
  toa
  real_server ${LAB_RS[0]} 81 { weight 1 }
}
virtual_server $LAB_VIP6 8082 {
  lb_algo rr
  lb_kind FNAT
  protocol TCP
  toa
  real_server ${LAB_RS6[0]} 81 { weight 1 }
}
virtual_server $LAB_VIP 81 {
  lb_algo wrr
  lb_kind FNAT
  protocol TCP
  real_server ${LAB_RS[0]} 81 { weight 1 }
  real_server ${LAB_RS[1]} 81 { weight 2 }
  real_server ${LAB_RS[2]} 81 { weight 3 }
}"
lab_up fullnat
# One worker: with two, a bulk transfer's frames that land on the worker not owning the
# flow are handed over through a 256-frame ring that overflows while the owner sleeps
# in its idle poll (handoff_dropped, issue 10), and the retransmissions that follow
# would hide the ones this test is about.
lab_start_gale fullnat 1 "$io"

# HAProxy on rs1: answers each request with the source address the header gave it.
cat >"$LAB_DIR/haproxy.cfg" <<CFG
global
  pidfile $LAB_DIR/haproxy.pid
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend fe
  bind :8081 accept-proxy
  bind :::8081 v6only accept-proxy
  http-request return status 200 content-type text/plain lf-string "%[src]\n"
CFG
ip netns exec "$(ns rs1)" haproxy -db -f "$LAB_DIR/haproxy.cfg" >"$LAB_DIR/haproxy.log" 2>&1 &
echo $! >"$LAB_DIR/haproxy-main.pid"
tries=0
until [ -n "$(in_ns rs1 ss -Hltn 'sport = :8081')" ]; do
  tries=$((tries + 1))
  [ $tries -lt 100 ] || fail "haproxy did not start: $(cat "$LAB_DIR/haproxy.log")"
  sleep 0.05
done

url4="http://$LAB_VIP"
url6="http://[$LAB_VIP6]"

# 1. The client's address, as nginx and HAProxy read it from the header; the
#    connection itself still comes from a local address (FullNAT).
for fam in 4 6; do
  if [ $fam = 4 ]; then url=$url4 client=$LAB_CLIENT laddrs="${LAB_LADDRS[*]}"; else url=$url6 client=$LAB_CLIENT6 laddrs="${LAB_LADDRS6[*]}"; fi
  for i in 1 2 3; do
    got=$(in_ns client curl -sf -m3 -g "$url/client") || fail "curl $url/client failed"
    [ "$got" = "$client" ] || fail "nginx read $got from the header, expected $client"
  done
  who=$(in_ns client curl -sf -m3 -g "$url/whoami") || fail "curl $url/whoami failed"
  [[ " $laddrs " == *" $who "* ]] || fail "the connection came from $who, not a local address ($laddrs)"
  got=$(in_ns client curl -sf -m3 -g "$url:8081/") || fail "curl $url:8081 (haproxy) failed"
  [ "$got" = "$client" ] || fail "haproxy read $got from the header, expected $client"
  pass "IPv$fam: nginx and HAProxy read $client from the $ver header; the connection came from $who"
done

# 1b. TOA (:8082, no header): the option the server's toa module would read, as rs1's
#     kernel received it (tcpdump there, decoded by tshark): kind 254, the client's
#     port and address, on the SYN and on segments after it; the server's kernel
#     accepts the connection with it.
toa_hex() {  # kind, length, port, address: the layout docs/modes.md gives
  /usr/bin/python3 -c 'import ipaddress,sys; a=ipaddress.ip_address(sys.argv[1]).packed; print((bytes([254, 4 + len(a)]) + int(sys.argv[2]).to_bytes(2, "big") + a).hex())' "$1" "$2"
}
for fam in 4 6; do
  if [ $fam = 4 ]; then url=$url4 client=$LAB_CLIENT; else url=$url6 client=$LAB_CLIENT6; fi
  cport=$((45000 + fam))
  cap=$LAB_DIR/toa$fam.pcap
  ip netns exec "$(ns rs1)" tcpdump --immediate-mode -U -n -i any -w "$cap" "tcp dst port 81" \
    2>"$cap.err" &
  capture=$!
  wait_for 5000 0.05 grep -q listening "$cap.err" >/dev/null || fail "tcpdump did not start"
  got=$(in_ns client curl -sf -m3 -g --local-port $cport "$url:8082/") || fail "curl $url:8082 (toa) failed"
  [ "$got" = rs1 ] || fail "toa: answered '$got'"
  want=$(toa_hex "$client" $cport)
  # SYN flag and options of each segment rs1 received (written as they come: -U).
  received() { tshark -r "$cap" -T fields -e tcp.flags.syn -e tcp.options 2>/dev/null || true; }
  with_toa() { received | awk -v w="$want" -v syn="$1" '$1 == syn && index($2, w) == 1' | wc -l; }
  both() { [ "$(with_toa 1)" -ge 1 ] && [ "$(with_toa 0)" -ge 1 ]; }
  wait_for 3000 0.05 both >/dev/null ||
    fail "IPv$fam toa: want $want first on the SYN and the next segments; rs1 received (SYN flag, options): $(received | head -5)"
  acks=$(with_toa 0)
  kill -INT $capture
  wait $capture || true
  pass "IPv$fam: rs1's kernel received TOA $want on the SYN and $acks later segment(s)"
done

# 2. A large download and upload through the translated connection: whole, and without
#    a retransmission storm (counted by the senders' kernels).
head -c $((32 << 20)) /dev/urandom >"$LAB_DIR/big.bin"
want=$(sha256sum <"$LAB_DIR/big.bin" | cut -d' ' -f1)
for i in 1 2 3; do
  mkdir -p "$LAB_DIR/rs$i/files"
  chmod 777 "$LAB_DIR/rs$i/files"  # nginx's workers write uploads as an unprivileged user
  cp "$LAB_DIR/big.bin" "$LAB_DIR/rs$i/files/big.bin"
done
retrans() {
  local n total=0
  for n in client rs1 rs2 rs3; do
    total=$((total + $(in_ns $n nstat -az TcpRetransSegs 2>/dev/null | awk '$1 == "TcpRetransSegs" {print $2}')))
  done
  echo $total
}
for fam in 4 6; do
  if [ $fam = 4 ]; then url=$url4; else url=$url6; fi
  before=$(retrans)
  got=$(in_ns client curl -sf -m60 -g "$url/files/big.bin" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "IPv$fam download: sha256 $got, want $want"
  code=$(in_ns client curl -s -m60 -g -o /dev/null -w '%{http_code}' -T "$LAB_DIR/big.bin" \
    "$url/files/up$fam.bin" 2>&1) || fail "IPv$fam upload failed: $code"
  [ "$code" = 201 ] || fail "IPv$fam upload: HTTP $code: $(cat "$LAB_DIR"/rs*/error.log | tail -n 3)"
  stored=""
  for i in 1 2 3; do
    [ -f "$LAB_DIR/rs$i/files/up$fam.bin" ] && stored=$(sha256sum <"$LAB_DIR/rs$i/files/up$fam.bin" | cut -d' ' -f1)
  done
  [ "$stored" = "$want" ] || fail "IPv$fam upload: the server stored sha256 '$stored', want $want"
  # 64 MiB moved is ~46k full segments: a storm would be thousands.
  re=$(($(retrans) - before))
  [ $re -le 200 ] || fail "IPv$fam: $re segments retransmitted moving 64 MiB: $(for n in client rs1 rs2 rs3; do echo -n "$n $(in_ns $n nstat -az TcpRetransSegs TcpExtTCPLostRetransmit TcpExtTCPSackRecovery TcpExtTCPTimeouts 2>/dev/null | awk 'NR>1 {printf "%s=%s ", $1, $2}'); "; done)"
  pass "IPv$fam: 32 MiB down and up, sha256 equal, $re retransmitted segments"
done

# 3. wrk with and without keep-alive: no socket error, every request logged with the
#    client's address from the header; the same through :81 without the header.
for i in 1 2 3; do : >"$LAB_DIR/rs$i/access.log"; done
rate() { awk '/Requests\/sec/ {print int($2)}' <<<"$1"; }
declare -A rps=() logged_after=()
for round in keepalive close; do
  hdr=()
  [ $round = close ] && hdr=(-H "Connection: close")
  for port in 80 81; do
    out=$(in_ns client wrk -t2 -c16 -d4s "${hdr[@]}" "$url4:$port/" 2>&1) || fail "wrk failed: $out"
    [[ $out != *"Socket errors"* ]] || fail "wrk :$port ($round): $(echo "$out" | grep 'Socket errors')"
    [[ $out != *"Non-2xx"* ]] || fail "wrk :$port ($round): non-2xx answers"
    rps[$round.$port]=$(rate "$out")
  done
  logged_after[$round]=$(cat "$LAB_DIR"/rs{1,2,3}/access.log | wc -l)
done
logged=$(cat "$LAB_DIR"/rs{1,2,3}/access.log | wc -l)
wrong=$(cat "$LAB_DIR"/rs{1,2,3}/access.log | awk -v c="$LAB_CLIENT" '$1 != c' | wc -l)
[ "$logged" -gt 1000 ] || fail "only $logged requests logged through the header"
[ "$wrong" -eq 0 ] || fail "$wrong of $logged logged requests do not name $LAB_CLIENT: $(cat "$LAB_DIR"/rs{1,2,3}/access.log | awk -v c="$LAB_CLIENT" '$1 != c' | sort | uniq -c | head -3)"
pass "wrk: $logged requests through the header, each logged as $LAB_CLIENT, no socket error"
echo "  requests/s keep-alive: ${rps[keepalive.80]} with the $ver header, ${rps[keepalive.81]} without"
echo "  requests/s new connections: ${rps[close.80]} with the $ver header, ${rps[close.81]} without"

# 4. The headers are counted; nothing was dropped.
stats=$(lab_ctl '{"cmd":"stats"}') || fail "stats: no answer"
headers=$(/usr/bin/python3 -c 'import json,sys; print(sum(w["proxy_headers"] for w in json.loads(sys.argv[1])["workers"]))' "$stats")
# Without keep-alive each request is a connection of its own, with its own header.
closed=$((logged_after[close] - logged_after[keepalive]))
[ "$headers" -ge "$closed" ] || fail "$headers headers counted for $closed connections"
toa=$(/usr/bin/python3 -c 'import json,sys; w=json.loads(sys.argv[1])["workers"]; print(sum(x["toa_added"] for x in w), sum(x["toa_no_room"] for x in w))' "$stats")
[ "${toa% *}" -ge 4 ] && [ "${toa#* }" -eq 0 ] || fail "toa counted (added, no room): $toa"
lab_no_drops || fail "drops"
pass "$headers headers and ${toa% *} TOA options counted; no drops"
echo "e2e proxy $ver/$io: 1 passed, 0 failed"
