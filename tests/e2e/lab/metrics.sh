#!/usr/bin/env bash
# The metrics endpoint of a live galed, scraped with curl inside its namespace:
#   tests/e2e/lab/metrics.sh BUILD_DIR
# galed (NAT, AF_XDP, 2 workers) in the lab; Debian's promtool accepts the scrape before
# and after traffic; the per-service packet counters grow by at least what the client
# sent to the service (counted independently, by an nftables counter on the client's
# output), the connection counter by the connections made; the global node_ipvs_*
# totals and the workers' busy time move too; other paths are 404. Then the scrape cost:
# galed reloaded with 1000 services x 3 real servers, 20 timed scrapes (printed).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
command -v promtool >/dev/null || { echo "e2e: promtool not installed; skipped"; exit 77; }
export GALE_BUILD=$(cd "${1:?build dir}" && pwd)
export LAB=glm$$
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../lab/lib.sh"
trap lab_down EXIT
fail() {
  echo "FAIL (metrics): $*" >&2
  [ -f "$LAB_DIR/galed.log" ] && tail -30 "$LAB_DIR/galed.log" >&2
  exit 1
}
url=http://127.0.0.1:9469/metrics
scrape() { in_ns gale curl -sf -m5 "$url"; }
# The value of one sample (exact name and labels); 0 when absent.
value() { awk -v k="$1" 'index($0, k " ") == 1 { print $2; found = 1 } END { if (!found) print 0 }' <<<"$2"; }
svc() { echo "{local_address=\"$LAB_VIP\",local_port=\"$1\",proto=\"$2\",local_mark=\"\"}"; }
check() {
  promtool check metrics <<<"$1" >"$LAB_DIR/promtool.out" 2>&1 ||
    fail "promtool check metrics: $(cat "$LAB_DIR/promtool.out")"
  [ ! -s "$LAB_DIR/promtool.out" ] || fail "promtool warns: $(cat "$LAB_DIR/promtool.out")"
}

lab_up nat
lab_start_gale nat 2 af_xdp

before=$(scrape) || fail "no answer on $url"
check "$before"
code=$(in_ns gale curl -s -o /dev/null -w '%{http_code}' -m5 http://127.0.0.1:9469/) || true
[ "$code" = 404 ] || fail "GET / answered $code, not 404"
ctype=$(in_ns gale curl -sf -o /dev/null -w '%{content_type}' -m5 "$url")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "content type $ctype"

# The reference: what the client's kernel sent to each service, counted on its output.
in_ns client nft -f - <<NFT
table inet gale_metrics {
  chain out {
    type filter hook output priority 0;
    ip daddr $LAB_VIP tcp dport 80 counter name tcp_out
    ip daddr $LAB_VIP udp dport 5353 counter name udp_out
  }
  counter tcp_out {}
  counter udp_out {}
}
NFT
conns=40
for _ in $(seq 1 $conns); do
  in_ns client curl -sf -m2 -o /dev/null "http://$LAB_VIP/" || fail "curl through the VIP failed"
done
datagrams=30
for _ in $(seq 1 $datagrams); do
  in_ns client socat -T1 - "UDP:$LAB_VIP:5353" <<<"ping" >/dev/null || fail "UDP through the VIP failed"
done
sent() { in_ns client nft list counter inet gale_metrics "$1" | awk '/packets/ { print $2 }'; }
tcp_sent=$(sent tcp_out)
udp_sent=$(sent udp_out)
[ "$tcp_sent" -ge $((conns * 3)) ] || fail "the client sent only $tcp_sent TCP packets"

tcp_in=gale_ipvs_service_incoming_packets_total$(svc 80 TCP)
udp_in=gale_ipvs_service_incoming_packets_total$(svc 5353 UDP)
tcp_conns=gale_ipvs_service_connections_total$(svc 80 TCP)
# Workers publish their counters every 50 ms: poll (bounded) until they show.
for _ in $(seq 1 100); do
  after=$(scrape) || fail "no answer on $url"
  [ $(($(value "$tcp_in" "$after") - $(value "$tcp_in" "$before"))) -ge "$tcp_sent" ] &&
    [ $(($(value "$udp_in" "$after") - $(value "$udp_in" "$before"))) -ge "$udp_sent" ] && break
  sleep 0.05
done
check "$after"
d_tcp=$(($(value "$tcp_in" "$after") - $(value "$tcp_in" "$before")))
d_udp=$(($(value "$udp_in" "$after") - $(value "$udp_in" "$before")))
d_conns=$(($(value "$tcp_conns" "$after") - $(value "$tcp_conns" "$before")))
d_total=$(($(value node_ipvs_incoming_packets_total "$after") - $(value node_ipvs_incoming_packets_total "$before")))
echo "  client sent $tcp_sent TCP and $udp_sent UDP packets to the VIP; galed counted $d_tcp and $d_udp"
[ "$d_tcp" -ge "$tcp_sent" ] || fail "TCP service: $d_tcp incoming packets counted, $tcp_sent sent"
[ "$d_udp" -ge "$udp_sent" ] || fail "UDP service: $d_udp incoming packets counted, $udp_sent sent"
[ "$d_conns" -eq "$conns" ] || fail "TCP service: $d_conns connections counted, $conns made"
[ "$d_total" -ge $((tcp_sent + udp_sent)) ] || fail "node_ipvs_incoming_packets_total grew by $d_total"
out=$(($(value node_ipvs_outgoing_packets_total "$after") - $(value node_ipvs_outgoing_packets_total "$before")))
[ "$out" -ge "$conns" ] || fail "NAT replies: node_ipvs_outgoing_packets_total grew by $out"
busy=$(grep -E '^gale_worker_busy_seconds_total' <<<"$after" | awk '{ s += $2 } END { print (s > 0) }')
[ "$busy" = 1 ] || fail "no busy time after traffic"
# The lab's config: flows 262144 + flows6 1024 per worker, 2 workers.
for w in 0 1; do
  cap=$(value "gale_flow_table_capacity{worker=\"$w\"}" "$after")
  [ "$cap" -eq $((262144 + 1024)) ] || fail "worker $w: flow table capacity $cap"
done
grep -q '^gale_drops_total{reason="no_dest"} 0$' <<<"$after" || fail "drops: $(grep '^gale_drops_total' <<<"$after" | grep -v ' 0$')"

# The listing's series: node_exporter's backend gauges with the config's weights.
for i in 0 1 2; do
  b="{local_address=\"$LAB_VIP\",local_port=\"80\",remote_address=\"${LAB_RS[$i]}\",remote_port=\"80\",proto=\"TCP\",local_mark=\"\"}"
  [ "$(value "node_ipvs_backend_weight$b" "$after")" -eq $((i + 1)) ] ||
    fail "node_ipvs_backend_weight$b is $(value "node_ipvs_backend_weight$b" "$after"), config says $((i + 1))"
  grep -q "^node_ipvs_backend_connections_active$b " <<<"$after" || fail "no active gauge for ${LAB_RS[$i]}"
  grep -q "^node_ipvs_backend_connections_inactive$b " <<<"$after" || fail "no inactive gauge for ${LAB_RS[$i]}"
  grep -q "^gale_backend_up$b 1$" <<<"$after" || fail "${LAB_RS[$i]} not up"
done

# The busy ratio under a 3 s wrk run: rate(gale_worker_busy_seconds_total) per worker,
# which is a share of wall time (0..1).
busy_of() { grep -E "^gale_worker_busy_seconds_total\{worker=\"$1\"\}" <<<"$2" | awk '{ print $2 }'; }
b0=$(scrape)
t0=$(date +%s.%N)
in_ns client wrk -t1 -c8 -d3s "http://$LAB_VIP/" >"$LAB_DIR/wrk.out" 2>&1 || fail "wrk failed"
b1=$(scrape)
t1=$(date +%s.%N)
for w in 0 1; do
  ratio=$(awk -v a="$(busy_of $w "$b0")" -v b="$(busy_of $w "$b1")" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "%.3f", (b - a) / (t1 - t0) }')
  echo "  worker $w busy ratio during wrk: $ratio ($(grep -E 'Requests/sec' "$LAB_DIR/wrk.out" | tr -s ' '))"
  awk -v r="$ratio" 'BEGIN { exit !(r > 0 && r <= 1.0) }' || fail "worker $w busy ratio $ratio"
done

# A refused reload counts as failed, the running config stays.
conf=$LAB_DIR/gale.conf
cp "$conf" "$conf.good"
echo "virtual_server $LAB_VIP 80 { lb_algo wrrr }" >"$conf"
kill -HUP "$(cat "$LAB_DIR/galed.pid")"
for _ in $(seq 1 100); do
  [ "$(value 'gale_config_reloads_total{result="failed"}' "$(scrape)")" -eq 1 ] && break
  sleep 0.05
done
[ "$(value 'gale_config_reloads_total{result="failed"}' "$(scrape)")" -eq 1 ] || fail "the failed reload is not counted"
cp "$conf.good" "$conf"

# Scrape cost with many services: 1000 services (ports 10000..10999) x 3 real servers.
{
  sed '/^virtual_server/,$d' "$conf"
  for p in $(seq 10000 10999); do
    echo "virtual_server $LAB_VIP $p { lb_algo wrr; lb_kind NAT; protocol TCP"
    for rs in "${LAB_RS[@]}"; do echo "  real_server $rs $p { weight 1 }"; done
    echo "}"
  done
} | sed 's/; /\n  /g' >"$conf.many"
cp "$conf.many" "$conf"
before_reload=$(grep -c "galed: reloaded" "$LAB_DIR/galed.log" || true)
failed_before=$(grep -c "reload failed" "$LAB_DIR/galed.log" || true)
kill -HUP "$(cat "$LAB_DIR/galed.pid")"
for _ in $(seq 1 300); do
  [ "$(grep -c "galed: reloaded" "$LAB_DIR/galed.log" || true)" -gt "$before_reload" ] && break
  [ "$(grep -c "reload failed" "$LAB_DIR/galed.log" || true)" -eq "$failed_before" ] ||
    fail "reload of 1000 services failed"
  sleep 0.05
done
many=$(scrape) || fail "no answer with 1000 services"
[ "$(value 'gale_config_reloads_total{result="ok"}' "$many")" -eq 1 ] || fail "the reload is not counted"
[ "$(value gale_snapshot_generation "$many")" -gt "$(value gale_snapshot_generation "$after")" ] ||
  fail "the reload published no new snapshot generation"
check "$many"
series=$(grep -c '^gale_ipvs_backend_incoming_packets_total' <<<"$many")
[ "$series" -ge 3000 ] || fail "1000 x 3 real servers gave $series backend series"
times=$(for _ in $(seq 1 20); do in_ns gale curl -sf -o /dev/null -w '%{time_total}\n' -m5 "$url"; done | sort -n)
median=$(sed -n 10p <<<"$times")
echo "  scrape with 1000 services x 3 real servers ($(wc -c <<<"$many") bytes, $(wc -l <<<"$many") lines): median $median s over 20 (min $(head -1 <<<"$times"), max $(tail -1 <<<"$times"))"
kill -0 "$(cat "$LAB_DIR/galed.pid")" || fail "galed died"
echo "ok (metrics): promtool accepts live scrapes; counters grew by at least what was sent"
echo "e2e metrics: 1 passed, 0 failed"
