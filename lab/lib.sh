# gale-lab's topology, as shell functions (sourced by lab/gale-lab, the demo and the
# e2e tests). Everything lives in network namespaces named after $LAB (unique per run)
# and is deleted by lab_down, which callers run from a trap.
#
#   client (10.99.1.2) -- router (10.99.1.1 | 10.99.2.1) -- switch (bridge) --+-- gale (10.99.2.2)
#                                                                             +-- rs1 (10.99.2.11)
#                                                                             +-- rs2 (10.99.2.12)
#                                                                             +-- rs3 (10.99.2.13)
# The router sends the VIP (10.99.2.100) to gale. Real servers run nginx on :80 answering
# their own name, and a UDP responder on :5353. In DR/TUN mode they have the VIP on lo
# and reply straight to the router; in NAT mode their default route is gale. LAB_V6=1
# adds the same in IPv6 (fd99:1::2 -- fd99:2::1 | gale fd99:2::2, VIP fd99:2::100, rsN
# fd99:2::1N), TCP :80 only.

LAB=${LAB:-gl$$}
LAB_VIP=10.99.2.100
LAB_GALE=10.99.2.2
# FullNAT local addresses. Each gives 64k ports, held until a closed connection's flow
# expires (minutes): four keep a 10 s wrk run of short connections (~12k/s here) from
# running out (no_local_port drops), which the e2e test asserts.
LAB_LADDRS=(10.99.2.200 10.99.2.201 10.99.2.202 10.99.2.203)
LAB_LADDR=${LAB_LADDRS[0]}
LAB_ROUTER=10.99.2.1
LAB_CLIENT=10.99.1.2
LAB_RS=(10.99.2.11 10.99.2.12 10.99.2.13)
# LAB_V6=1: the same topology dual-stack (fd99:1::/64 client side, fd99:2::/64 server
# side, addresses ::N for 10.99.x.N), and an IPv6 VIP beside the IPv4 one.
LAB_V6=${LAB_V6:-0}
LAB_VIP6=fd99:2::100
LAB_GALE6=fd99:2::2
LAB_ROUTER6=fd99:2::1
LAB_CLIENT6=fd99:1::2
LAB_RS6=(fd99:2::11 fd99:2::12 fd99:2::13)
LAB_LADDRS6=(fd99:2::200 fd99:2::201)
# LAB_PROXY=v1|v2: the TCP :80 services send a PROXY protocol header (FullNAT), and
# nginx reads it there (logging and answering /client with the client's address); each
# real server also serves plain HTTP on :81 and PUT/GET under /files/. LAB_EXTRA_CONF:
# more gale.conf text (another service).
LAB_PROXY=${LAB_PROXY:-}
LAB_EXTRA_CONF=${LAB_EXTRA_CONF:-}
LAB_DIR=${LAB_DIR:-/tmp/$LAB}
LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ns() { echo "$LAB-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# A veth pair from namespace $1 (interface $2) to namespace $3 (interface $4).
lab_link() {
  # Short temporary names (an interface name has at most 15 characters).
  local a b
  a=$(printf 'gx%04x%04x' $RANDOM $RANDOM)
  b=$(printf 'gy%04x%04x' $RANDOM $RANDOM)
  # LAB_QUEUES=N: N rx and tx queues on both ends, all active, so the sending kernel
  # spreads frames over them by flow hash and each of gale's workers reads its own.
  # Unset: the kernel's default (one active queue of as many as CPUs).
  if [ -n "${LAB_QUEUES:-}" ]; then
    local q=$LAB_QUEUES
    ip link add "$a" numtxqueues "$q" numrxqueues "$q" type veth peer name "$b" \
      numtxqueues "$q" numrxqueues "$q"
    ethtool -L "$a" rx "$q" tx "$q"
    ethtool -L "$b" rx "$q" tx "$q"
  else
    ip link add "$a" type veth peer name "$b"
  fi
  ip link set "$a" netns "$(ns "$1")"
  ip link set "$b" netns "$(ns "$3")"
  ip -n "$(ns "$1")" link set "$a" name "$2"
  ip -n "$(ns "$3")" link set "$b" name "$4"
  ip -n "$(ns "$1")" link set "$2" up
  ip -n "$(ns "$3")" link set "$4" up
}

# Traffic sources leave TCP/UDP checksums partial on veth (offloaded); gale forwards
# frames as they are, so the receiver would drop them. Real NICs deliver complete
# checksums: turn the offload off on every sender to get the same here.
lab_no_offload() { in_ns "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true; }

lab_up() {
  local mode=${1:-dr}
  mkdir -p "$LAB_DIR"
  for n in client router switch gale rs1 rs2 rs3; do
    ip netns add "$(ns $n)"
    in_ns $n ip link set lo up
  done
  # The switch: a bridge that must not run bridged IPv4 through netfilter (it would
  # silently drop malformed frames before they reach gale: MACHINE-NOTES.md).
  in_ns switch sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
    net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true
  in_ns switch ip link add br0 type bridge
  in_ns switch ip link set br0 up

  lab_link client eth0 router eth0
  lab_link router eth1 switch r
  lab_link gale eth0 switch lb
  local i
  for i in 1 2 3; do lab_link rs$i eth0 switch rs$i; done
  for p in r lb rs1 rs2 rs3; do in_ns switch ip link set "$p" master br0; done

  in_ns client ip addr add $LAB_CLIENT/24 dev eth0
  in_ns client ip route add default via 10.99.1.1
  in_ns router ip addr add 10.99.1.1/24 dev eth0
  in_ns router ip addr add $LAB_ROUTER/24 dev eth1
  in_ns router sysctl -qw net.ipv4.ip_forward=1
  in_ns router ip route add $LAB_VIP/32 via $LAB_GALE
  in_ns gale ip addr add $LAB_GALE/24 dev eth0
  local a
  for a in "${LAB_LADDRS[@]}"; do
    in_ns gale ip addr add "$a/32" dev eth0  # FullNAT local address: the kernel answers ARP
  done
  in_ns gale ip route add default via $LAB_ROUTER
  for n in client router; do lab_no_offload $n eth0; done
  lab_no_offload router eth1
  lab_no_offload gale eth0
  for i in 1 2 3; do
    local rs=rs$i addr=${LAB_RS[$((i - 1))]}
    in_ns $rs ip addr add "$addr/24" dev eth0
    lab_no_offload $rs eth0
    if [ "$mode" = nat ]; then
      in_ns $rs ip route add default via $LAB_GALE
    else
      in_ns $rs ip route add default via $LAB_ROUTER
    fi
    case $mode in
      dr) in_ns $rs "$LAB_ROOT/scripts/gale-realserver" dr $LAB_VIP ;;
      tun*) in_ns $rs "$LAB_ROOT/scripts/gale-realserver" tun $LAB_VIP ;;
    esac
    if [ "$mode" = tun-ipip ] || [ "$mode" = tun-gue ]; then
      # gale's decapsulation role: IPIP and GUE frames in, inner packets into a TUN device.
      ip netns exec "$(ns $rs)" "${GALE_BUILD:-$LAB_ROOT/build}/galed" --decap eth0 --gue-port 6080 \
        >"$LAB_DIR/$rs.decap.log" 2>&1 &
      echo $! >"$LAB_DIR/$rs.decap.pid"
    fi
    if [ "$mode" = tun ]; then
      # This kernel has no ipip/fou: the server decapsulates with kernel VXLAN. The
      # vxlan device carries eth0's MAC, which gale puts in the inner frame.
      in_ns $rs ip link add vxlan0 type vxlan id 1 dstport 4789 local "$addr" dev eth0 nolearning
      in_ns $rs ip link set vxlan0 address "$(ip -n "$(ns $rs)" -br link show eth0 | awk '{print $3}')"
      in_ns $rs ip link set vxlan0 up
      in_ns $rs sysctl -qw net.ipv4.conf.vxlan0.rp_filter=0
    fi
  done
  # The IPv6 half first: the servers' UDP responders bind to the VIPs on their lo.
  [ "$LAB_V6" = 1 ] && lab_up_v6 "$mode"
  for i in 1 2 3; do lab_start_servers rs$i; done
  if [ "$mode" = tun-ipip ] || [ "$mode" = tun-gue ]; then
    local t=0
    for i in 1 2 3; do
      until ip -n "$(ns rs$i)" link show gale-decap >/dev/null 2>&1; do
        t=$((t + 1))
        [ $t -lt 200 ] || { echo "lab: the decap role on rs$i did not start" >&2; cat "$LAB_DIR/rs$i.decap.log" >&2; return 1; }
        sleep 0.05
      done
    done
  fi
  # Resolve every neighbour once, so the first measured packets find MACs.
  for a in "${LAB_RS[@]}" $LAB_ROUTER; do in_ns gale ping -c1 -W1 "$a" >/dev/null 2>&1 || true; done
  if [ "$LAB_V6" = 1 ]; then
    for a in "${LAB_RS6[@]}" $LAB_ROUTER6; do in_ns gale ping -6 -c1 -W1 "$a" >/dev/null 2>&1 || true; done
  fi
}

# LAB_V6=1: the IPv6 half of lab_up (addresses without DAD: usable at once).
lab_up_v6() {
  local mode=$1 a i
  in_ns client ip addr add $LAB_CLIENT6/64 dev eth0 nodad
  in_ns client ip -6 route add default via fd99:1::1
  in_ns router ip addr add fd99:1::1/64 dev eth0 nodad
  in_ns router ip addr add $LAB_ROUTER6/64 dev eth1 nodad
  in_ns router sysctl -qw net.ipv6.conf.all.forwarding=1
  in_ns router ip -6 route add $LAB_VIP6/128 via $LAB_GALE6
  in_ns gale ip addr add $LAB_GALE6/64 dev eth0 nodad
  for a in "${LAB_LADDRS6[@]}"; do in_ns gale ip addr add "$a/128" dev eth0 nodad; done
  in_ns gale ip -6 route add default via $LAB_ROUTER6
  for i in 1 2 3; do
    local rs=rs$i
    in_ns $rs ip addr add "${LAB_RS6[$((i - 1))]}/64" dev eth0 nodad
    if [ "$mode" = nat ]; then
      in_ns $rs ip -6 route add default via $LAB_GALE6
    else
      in_ns $rs ip -6 route add default via $LAB_ROUTER6
    fi
    case $mode in
      dr) in_ns $rs "$LAB_ROOT/scripts/gale-realserver" dr $LAB_VIP6 ;;
      tun*) in_ns $rs "$LAB_ROOT/scripts/gale-realserver" tun $LAB_VIP6 ;;
    esac
    if [ "$mode" = tun ]; then
      # VXLAN over IPv6 beside the IPv4 one: a second device (one family each), same
      # VNI and MAC.
      in_ns $rs ip link add vxlan6 type vxlan id 1 dstport 4789 local "${LAB_RS6[$((i - 1))]}" \
        dev eth0 nolearning
      in_ns $rs ip link set vxlan6 address "$(ip -n "$(ns $rs)" -br link show eth0 | awk '{print $3}')"
      in_ns $rs ip link set vxlan6 up
    fi
  done
  return 0
}

# nginx answering "rsN" on :80 and a UDP responder answering "rsN" on :5353.
lab_start_servers() {
  local rs=$1 dir="$LAB_DIR/$1"
  mkdir -p "$dir"
  local pp="" log='$remote_addr' extra=""
  if [ -n "$LAB_PROXY" ]; then
    pp=" proxy_protocol" log='$proxy_protocol_addr $remote_addr'
    extra="server {
    listen 81 reuseport backlog=4096;
    $([ "$LAB_V6" = 1 ] && echo "listen [::]:81 reuseport backlog=4096;")
    access_log off;
    location / { return 200 \"$rs\\n\"; }
  }"
  fi
  cat >"$dir/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  log_format short "$log";
  access_log $dir/access.log short;
  keepalive_requests 100000;
  server {
    listen 80$pp reuseport backlog=4096;
    $([ "$LAB_V6" = 1 ] && echo "listen [::]:80$pp reuseport backlog=4096;")
    location / { return 200 "$rs\n"; }
    location /whoami { return 200 "\$remote_addr\n"; }
    location /files/ { root $dir; dav_methods PUT; create_full_put_path on; client_max_body_size 256m; client_body_temp_path $dir/tmp; }
    $([ -n "$LAB_PROXY" ] && echo "location /client { return 200 \"\$proxy_protocol_addr\\n\"; }")
  }
  $extra
}
NGINX
  ip netns exec "$(ns "$rs")" nginx -c "$dir/nginx.conf" -p "$dir" >/dev/null 2>&1 &
  # In DR and TUN mode the reply must come from the VIP (which the server has on lo).
  local bind=0.0.0.0
  # Output captured, not piped into `grep -q`: under `set -o pipefail` (the callers')
  # grep's early exit fails `ip` with EPIPE about one time in five here, which bound the
  # responder to 0.0.0.0 -- its replies then came from the server's own address, and
  # the client's connected socket dropped them: the "lost first datagram".
  local lo
  lo=$(ip -n "$(ns "$rs")" addr show dev lo)
  [[ $lo == *" $LAB_VIP/"* ]] && bind=$LAB_VIP
  # LAB_V6=1: an IPv6 socket beside it, on the IPv6 VIP where the server has it.
  local bind6=""
  if [ "$LAB_V6" = 1 ]; then
    bind6=::
    [[ $lo == *" $LAB_VIP6/"* ]] && bind6=$LAB_VIP6
  fi
  # One process answers every datagram itself, with no fork or exec per datagram. The
  # socat UDP-LISTEN,fork + SYSTEM:echo responder it replaces lost first datagrams under
  # load: the server's kernel delivered them (UdpInDatagrams counted) and no reply left
  # (no UdpOutDatagrams) -- most likely its child's 1 s inactivity timeout (-T1) expiring
  # before the shell it spawned had written.
  ip netns exec "$(ns "$rs")" /usr/bin/python3 -c '
import select, socket, sys
name = (sys.argv[2] + "\n").encode()
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)]
socks[0].bind((sys.argv[1], 5353))
if len(sys.argv) > 3:
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind((sys.argv[3], 5353))
    socks.append(s6)
while True:
    for s in select.select(socks, [], [])[0]:
        _, peer = s.recvfrom(2048)
        s.sendto(name, peer)
' "$bind" "$rs" $bind6 >"$dir/udp.log" 2>&1 &
  echo $! >"$dir/udp.pid"
  # Ready when nginx answers locally and the UDP responder's socket is bound (a datagram
  # that arrives before would be refused: bounded waits).
  local tries=0
  local ready=()
  [ -z "$LAB_PROXY" ] || ready=(--haproxy-protocol)  # nginx wants the header on :80
  until in_ns "$rs" curl -sf -m1 "${ready[@]}" http://127.0.0.1/ >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ $tries -lt 100 ] || { echo "lab: nginx on $rs did not start" >&2; return 1; }
    sleep 0.05
  done
  tries=0
  local want=1 bound
  [ -z "$bind6" ] || want=2
  until bound=$(in_ns "$rs" ss -Hlun 'sport = :5353') && [ -n "$bound" ] &&
    [ "$(wc -l <<<"$bound")" -ge $want ]; do
    tries=$((tries + 1))
    [ $tries -lt 100 ] || { echo "lab: the UDP responder on $rs did not start" >&2; return 1; }
    sleep 0.05
  done
}

lab_down() {
  local f
  lab_stop_gale
  for f in "$LAB_DIR"/*/nginx.pid "$LAB_DIR"/*/udp.pid "$LAB_DIR"/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for n in client router switch gale rs1 rs2 rs3; do
    # Whatever still runs in a namespace dies with it.
    local pids
    pids=$(ip netns pids "$(ns $n)" 2>/dev/null || true)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
  done
  sleep 0.1
  for n in client router switch gale rs1 rs2 rs3; do
    ip netns del "$(ns $n)" 2>/dev/null || true
  done
  rm -rf "$LAB_DIR"
}

# The services of one VIP: TCP :80 wrr with weights 1:2:3 (a PROXY header if LAB_PROXY)
# and UDP :5353 rr over the three real servers given.
#   lab_vip_conf VIP LB_KIND RS1 RS2 RS3
lab_vip_conf() {
  local vip=$1 kind=$2
  cat <<CONF
virtual_server $vip 80 {
  lb_algo wrr
  lb_kind $kind
  protocol TCP
  $([ -n "$LAB_PROXY" ] && echo "proxy_protocol $LAB_PROXY")
  real_server $3 80 { weight 1 }
  real_server $4 80 { weight 2 }
  real_server $5 80 { weight 3 }
}
virtual_server $vip 5353 {
  lb_algo rr
  lb_kind $kind
  protocol UDP
  real_server $3 5353 { weight 1 }
  real_server $4 5353 { weight 1 }
  real_server $5 5353 { weight 1 }
}
CONF
}

# Writes the gale config for a mode (dr nat fullnat nat64 tun) and starts galed in the gale
# namespace; waits until its control socket answers.
lab_start_gale() {
  local mode=$1 workers=${2:-2} io=${3:-af_xdp} build=${GALE_BUILD:-$LAB_ROOT/build}
  local kind
  local encap=vxlan
  case $mode in
    dr) kind=DR ;; nat) kind=NAT ;; fullnat | nat64) kind=FNAT ;; tun) kind=TUN ;;
    tun-ipip) kind=TUN encap=ipip ;; tun-gue) kind=TUN encap=gue ;;
  esac
  cat >"$LAB_DIR/gale.conf" <<CONF
gale {
  interfaces eth0
  workers $workers
  io $io
  flows 262144
  flows6 $([ "$LAB_V6" = 1 ] && echo 65536 || echo 1024)
  fullnat_local_addresses ${LAB_LADDRS[*]} $([ "$LAB_V6" = 1 ] && echo "${LAB_LADDRS6[*]}")
  tunnel_source $LAB_GALE
  $([ "$LAB_V6" = 1 ] && echo "tunnel_source6 $LAB_GALE6")
  tunnel_encap $encap
  vxlan_vni 1
  gue_port 6080
  control_socket $LAB_DIR/gale.sock
}
CONF
  lab_vip_conf "$LAB_VIP" $kind "${LAB_RS[@]}" >>"$LAB_DIR/gale.conf"
  if [ "$LAB_V6" = 1 ]; then
    # nat64: the IPv6 VIP served by the servers' IPv4 addresses (FullNAT, docs/modes.md).
    local rs6=("${LAB_RS6[@]}")
    [ "$mode" = nat64 ] && rs6=("${LAB_RS[@]}")
    lab_vip_conf "$LAB_VIP6" $kind "${rs6[@]}" >>"$LAB_DIR/gale.conf"
  fi
  [ -z "$LAB_EXTRA_CONF" ] || echo "$LAB_EXTRA_CONF" >>"$LAB_DIR/gale.conf"
  # Not through in_ns: $! must be galed itself (ip netns exec execs it), not a subshell.
  ip netns exec "$(ns gale)" "$build/galed" -f "$LAB_DIR/gale.conf" >"$LAB_DIR/galed.log" 2>&1 &
  echo $! >"$LAB_DIR/galed.pid"
  local tries=0
  until [[ $(lab_ctl '{"cmd":"stats"}' 2>/dev/null) == *'"ok":true'* ]]; do
    tries=$((tries + 1))
    if [ $tries -ge 200 ] || ! kill -0 "$(cat "$LAB_DIR/galed.pid")" 2>/dev/null; then
      echo "lab: galed did not start:" >&2
      cat "$LAB_DIR/galed.log" >&2
      return 1
    fi
    sleep 0.05
  done
}

# One request to galed's control socket.
lab_ctl() { in_ns gale socat -t2 - UNIX-CONNECT:"$LAB_DIR/gale.sock" <<<"$1"; }

now_ms() { date +%s%3N; }
# Polls CONDITION every STEP seconds for at most MS milliseconds; prints the ms it took.
wait_for() {  # MS STEP CONDITION...
  local ms=$1 step=$2 t0
  shift 2
  t0=$(now_ms)
  until "$@"; do
    [ $(($(now_ms) - t0)) -le "$ms" ] || return 1
    sleep "$step"
  done
  echo $(($(now_ms) - t0))
}

# Fails (status 1, saying what) when galed dropped anything: every drop reason and
# every per-worker counter named *drop* (I/O, hand-off rings, kernel) must be zero.
lab_no_drops() {
  local stats
  stats=$(lab_ctl '{"cmd":"stats"}') || { echo "stats: no answer" >&2; return 1; }
  /usr/bin/python3 - "$stats" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
bad = {k: v for k, v in s.get("drops", {}).items() if v}
for i, w in enumerate(s["workers"]):
    bad.update({f"worker{i}.{k}": v for k, v in w.items() if "drop" in k and v})
bad.update({k: v for k, v in s.items() if "drop" in k and isinstance(v, int) and v})
if bad:
    print("dropped:", bad, file=sys.stderr)
    sys.exit(1)
PY
}

lab_stop_gale() {
  [ -f "$LAB_DIR/galed.pid" ] || return 0
  local pid
  pid=$(cat "$LAB_DIR/galed.pid")
  kill -TERM "$pid" 2>/dev/null || true
  local tries=0
  while kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$LAB_DIR/galed.pid"
}
