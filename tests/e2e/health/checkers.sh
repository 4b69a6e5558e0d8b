#!/usr/bin/env bash
# Runs e2e_health (every checker against real servers) in a namespace of its own:
#   tests/e2e/health/checkers.sh PATH/TO/e2e_health
# Servers: nginx, openssl s_server -www, a socat UDP echo, two SMTP sinks (python3),
# dnsmasq; nftables drops SYNs to port 9999 (a black hole). Root only (77: skipped).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (network namespaces); skipped"; exit 77; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ns=ghc$$
dir=$(mktemp -d /tmp/gale-health.XXXXXX)
chmod 755 "$dir"  # nginx workers (www-data) read the page
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
in_ns() { ip netns exec "$ns" "$@"; }
# Background servers: `ip netns exec` directly, so that $! is the server itself.
bg() { ip netns exec "$ns" "$@" & pids+=($!); }
ip netns add "$ns"
in_ns ip link set lo up
in_ns nft -f - <<'NFT'
table inet blackhole {
  chain input { type filter hook input priority 0; tcp dport 9999 drop; }
}
NFT

mkdir -p "$dir/www" "$dir/nginx"
printf 'gale health check page %s\n' "$ns" >"$dir/www/index.html"
cat >"$dir/nginx.conf" <<NGINX
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx; proxy_temp_path $dir/nginx;
  fastcgi_temp_path $dir/nginx; uwsgi_temp_path $dir/nginx; scgi_temp_path $dir/nginx;
  server { listen 127.0.0.1:8080; root $dir/www; }
}
NGINX
bg nginx -c "$dir/nginx.conf"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=check.test -days 1 \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
bg openssl s_server -quiet -www -accept 127.0.0.1:8443 -cert "$dir/cert.pem" \
  -key "$dir/key.pem" </dev/null >/dev/null 2>&1

bg socat UDP4-RECVFROM:5000,bind=127.0.0.1,reuseaddr,fork PIPE

cat >"$dir/smtp.py" <<'PY'
# A minimal SMTP sink: banner, an answer per command, 221 on QUIT.
import socketserver, sys
banner = sys.argv[2].encode()
class H(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            self.wfile.write(banner + b"\r\n")
            for line in self.rfile:
                if line.upper().startswith(b"QUIT"):
                    self.wfile.write(b"221 bye\r\n"); return
                self.wfile.write(b"250 ok\r\n")
        except ConnectionError:
            pass  # checkers reset the connection once they have their answer
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
bg /usr/bin/python3 "$dir/smtp.py" 2525 "220 sink.test ESMTP"
bg /usr/bin/python3 "$dir/smtp.py" 2526 "554 no service"

bg dnsmasq -k --no-resolv --no-hosts --port 5353 --listen-address 127.0.0.1 \
  --bind-interfaces --address=/check.test/10.1.2.3 --pid-file="$dir/dnsmasq.pid" \
  --user=root 2>"$dir/dnsmasq.log"

# Every server answers before the test starts (polled, bounded).
ready() {
  local l
  l=$(in_ns ss -Hltn)
  in_ns curl -sf -o /dev/null http://127.0.0.1:8080/ &&
    [[ $l == *127.0.0.1:8443* && $l == *127.0.0.1:2525* && $l == *127.0.0.1:2526* ]] &&
    [[ $(in_ns ss -Hlun) == *127.0.0.1:5353* ]]
}
for _ in $(seq 1 100); do ready && break; sleep 0.05; done
ready || {
  echo "FAIL: the servers did not come up" >&2
  in_ns ss -ltnup >&2
  cat "$dir/dnsmasq.log" "$dir/nginx/error.log" >&2 || true
  exit 1
}

export HC_DIGEST=$(md5sum "$dir/www/index.html" | cut -d' ' -f1)
in_ns "$bin"
