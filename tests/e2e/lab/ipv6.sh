#!/usr/bin/env bash
# IPv6 end to end through galed on real interfaces (issue 11's "IPv6 end to end"):
#   tests/e2e/lab/ipv6.sh MODE IO BUILD_DIR
#   MODE: dr nat fullnat nat64 tun (VXLAN) tun-ipip (IP6IP6) tun-gue; IO: af_xdp af_packet
# The lab dual-stack (LAB_V6=1, lab/lib.sh): a client, a router that sends the IPv6 VIP
# to gale, gale with 2 workers, three nginx real servers with wrr weights 1:2:3 on their
# IPv6 addresses. Neighbour discovery for gale's own and FullNAT local addresses is the
# kernel's (through the XDP program's pass, or AF_PACKET's copy). Checks: 30 curl
# requests to [VIP6] reach all three servers; the server sees the client's IPv6 address
# (FullNAT: one of the IPv6 local addresses); a 3 s wrk run with no socket error and no
# non-2xx answer; flows made on both workers; no drop counter moves; in TUN modes a
# 1 MiB upload whose full-size segments outgrow the path once encapsulated completes
# after gale's ICMPv6 Packet Too Big (the client's kernel learns the MTU); the IPv4 VIP
# beside still answers. nat64: the IPv6 VIP served by the servers' IPv4 addresses
# through FullNAT with a PROXY v2 header (docs/modes.md "NAT64"): the server sees an
# IPv4 local address, and nginx reads the client's IPv6 address from the header.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
mode=${1:?mode}
io=${2:?io}
export GALE_BUILD=$(cd "${3:?build dir}" && pwd)
export LAB=gl6$$ LAB_V6=1
lab_mode=$mode
if [ "$mode" = nat64 ]; then
  lab_mode=fullnat  # the servers' side is FullNAT's
  export LAB_PROXY=v2
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT

fail() {
  echo "FAIL (ipv6 $mode/$io): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -20 "$LAB_DIR/galed.log" >&2
  lab_ctl '{"cmd":"stats"}' 2>/dev/null | head -c 3000 >&2 || true
  exit 1
}
pass() { echo "ok (ipv6 $mode/$io): $*"; }

lab_up "$lab_mode"
lab_start_gale "$mode" 2 "$io"
url="http://[$LAB_VIP6]"

# 1. curl through the IPv6 VIP.
declare -A seen=()
for i in $(seq 1 30); do
  body=$(in_ns client curl -sf -m3 -g "$url/") || fail "curl $i to $url failed"
  case $body in rs1 | rs2 | rs3) seen[$body]=1 ;; *) fail "unexpected answer '$body'" ;; esac
done
[ ${#seen[@]} -eq 3 ] || fail "30 requests reached only ${!seen[*]}"
pass "30 curl requests to $url answered by rs1 rs2 rs3"

# 2. The address the real server sees.
who=$(in_ns client curl -sf -m3 -g "$url/whoami") || fail "whoami failed"
want=$LAB_CLIENT6
[ "$mode" = fullnat ] && want="${LAB_LADDRS6[*]}"
[ "$mode" = nat64 ] && want="${LAB_LADDRS[*]}"
[[ " $want " == *" $who "* ]] || fail "server saw $who, expected $want"
pass "the real server sees $who"
if [ "$mode" = nat64 ]; then
  got=$(in_ns client curl -sf -m3 -g "$url/client") || fail "curl $url/client failed"
  [ "$got" = "$LAB_CLIENT6" ] || fail "nginx read $got from the PROXY header, expected $LAB_CLIENT6"
  pass "nginx reads the client's IPv6 address $got from the PROXY v2 header"
fi

# 3. wrk with keep-alive connections spread over both workers.
out=$(in_ns client wrk -t2 -c8 -d3s "$url/" 2>&1) || fail "wrk: $out"
[[ $out != *"Socket errors"* ]] || fail "wrk saw socket errors: $out"
[[ $out != *"Non-2xx"* ]] || fail "wrk saw non-2xx answers: $out"
reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
[ "${reqs:-0}" -gt 100 ] || fail "wrk made only ${reqs:-0} requests: $out"
pass "wrk: $reqs requests, no socket error"

# 4. Both workers made flows (only IPv6 traffic so far); nothing dropped.
lab_no_drops || fail "drops"
stats=$(lab_ctl '{"cmd":"stats"}') || fail "stats: no answer"
/usr/bin/python3 - "$stats" <<'PY' || fail "stats: $stats"
import json, sys
s = json.loads(sys.argv[1])
# 39 connections from the client (30 curls, whoami, wrk's 8) are owned by the
# hash of their endpoint: both workers made some (all on one: a 2^-38 chance).
made = [w["flows_created"] for w in s["workers"]]
if len(made) != 2 or min(made) == 0:
    print("flows created per worker:", made, file=sys.stderr)
    sys.exit(1)
PY
pass "no drops; both workers made IPv6 flows"

# 5. TUN: path MTU. Every link is 1500 bytes, so the client's full-size segments (1440
#    bytes of data) no longer fit once encapsulated: gale answers ICMPv6 Packet Too Big
#    with the room left, the client's kernel learns it (its route cache), and an upload
#    in full-size segments completes in the smaller ones.
if [[ $mode == tun* ]]; then
  head -c $((1 << 20)) /dev/urandom >"$LAB_DIR/up.bin"
  code=$(in_ns client curl -s -m10 -g -o /dev/null -w '%{http_code}' -H 'Expect:' \
    --data-binary @"$LAB_DIR/up.bin" "$url/") || fail "1 MiB upload through $url failed: $code"
  [ "$code" = 200 ] || fail "1 MiB upload: HTTP $code"
  learnt=$(in_ns client ip -6 route get "$LAB_VIP6" | grep -o 'mtu [0-9]*' || true)
  [ -n "$learnt" ] && [ "${learnt#mtu }" -lt 1500 ] ||
    fail "the client's kernel learnt no smaller path MTU to $LAB_VIP6: $(in_ns client ip -6 route get "$LAB_VIP6")"
  # The workers publish their counters periodically: poll for them.
  too_big() { lab_ctl '{"cmd":"stats"}' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["too_big_sent"])'; }
  counted() { ptb=$(too_big) && [ "$ptb" -gt 0 ]; }
  wait_for 3000 0.1 counted >/dev/null || fail "no Packet Too Big counted"
  pass "1 MiB upload: $ptb Packet Too Big sent, the client learnt $learnt"
fi

# 5b. NAT64: a bulk transfer each way.
if [ "$mode" = nat64 ]; then
  # Full-sized segments both ways: the server's grow by 20 bytes into IPv6, the
  # client's shrink; 8 MiB down and up arrive whole (sha256). After the drop check: a
  # bulk transfer through two workers can lose frames at the hand-off ring (issue 10,
  # why proxy.sh runs one worker), which TCP recovers.
  head -c $((8 << 20)) /dev/urandom >"$LAB_DIR/big.bin"
  want=$(sha256sum <"$LAB_DIR/big.bin" | cut -d' ' -f1)
  for i in 1 2 3; do
    mkdir -p "$LAB_DIR/rs$i/files"
    chmod 777 "$LAB_DIR/rs$i/files"  # nginx's workers write uploads as an unprivileged user
    cp "$LAB_DIR/big.bin" "$LAB_DIR/rs$i/files/big.bin"
  done
  got=$(in_ns client curl -sf -m60 -g "$url/files/big.bin" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "download: sha256 $got, want $want"
  code=$(in_ns client curl -s -m60 -g -o /dev/null -w '%{http_code}' -T "$LAB_DIR/big.bin" \
    "$url/files/up.bin" 2>&1) || fail "upload failed: $code"
  [ "$code" = 201 ] || fail "upload: HTTP $code"
  stored=""
  for i in 1 2 3; do
    [ -f "$LAB_DIR/rs$i/files/up.bin" ] && stored=$(sha256sum <"$LAB_DIR/rs$i/files/up.bin" | cut -d' ' -f1)
  done
  [ "$stored" = "$want" ] || fail "upload: the server stored sha256 '$stored', want $want"
  # No frame dropped for a reason of the engine's (translation, checksum, headroom).
  stats=$(lab_ctl '{"cmd":"stats"}') || fail "stats: no answer"
  /usr/bin/python3 -c 'import json, sys; d = {k: v for k, v in json.loads(sys.argv[1]).get("drops", {}).items() if v}; sys.exit(1 if d else 0)' \
    "$stats" || fail "dropped during the bulk transfer: $stats"
  pass "8 MiB down and up through NAT64, sha256 equal, no engine drop"
fi

# 6. The IPv4 VIP beside it.
in_ns client curl -sf -m3 "http://$LAB_VIP/" >/dev/null || fail "the IPv4 VIP beside does not answer"
pass "the IPv4 VIP beside answers"
