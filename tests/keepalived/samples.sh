#!/usr/bin/env bash
# Debian's keepalived samples: galed -t accepts every one real keepalived -t accepts.
#   tests/keepalived/samples.sh BUILD_DIR [SAMPLES_DIR]
# Both run in a network namespace of their own with the interfaces the samples name
# (veth links eth0..eth3, eth0.1), so keepalived judges the config, not this host; its
# pid files go to a temporary directory (the host's keepalived is never touched). Prints
# one line per sample and how many agree; fails when keepalived accepts a sample galed
# refuses. (A sample keepalived refuses may be accepted by galed: it is reported.)
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "keepalived.samples: needs root (a network namespace); skipped"; exit 77; }
build=$(cd "${1:?build dir}" && pwd)
samples=${2:-/usr/share/doc/keepalived/samples}
command -v keepalived >/dev/null || { echo "keepalived.samples: no keepalived (scripts/install-deps)"; exit 77; }
[ -d "$samples" ] || { echo "keepalived.samples: no $samples (scripts/install-deps)"; exit 77; }
ns=gale-kas-$$
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
i=0
for l in eth0 eth1 eth2 eth3 eth0.1; do
  # veth pairs (the dummy driver may be missing); the peer stays down, unused.
  ip -n "$ns" link add "$l" type veth peer name "peer$i"
  ip -n "$ns" link set "$l" up
  i=$((i + 1))
done
ip -n "$ns" addr add 192.168.200.1/24 dev eth0
ip -n "$ns" route add default via 192.168.200.254 dev eth0
ip -n "$ns" addr add 2001:db8:ffff::1/64 dev eth0 nodad
ip -n "$ns" -6 route add default via 2001:db8:ffff::fe dev eth0

# The samples, gunzipped (Debian may compress them) into the temporary directory.
mkdir "$tmp/s"
for f in "$samples"/keepalived.conf.*; do
  case "$f" in
    *.gz) gunzip -c "$f" >"$tmp/s/$(basename "${f%.gz}")" ;;
    *) cp "$f" "$tmp/s/" ;;
  esac
done

agree=0 total=0 accepted=0 failed=0
for f in "$tmp"/s/keepalived.conf.*; do
  name=$(basename "$f")
  total=$((total + 1))
  ka=0
  timeout 20 ip netns exec "$ns" keepalived -t -f "$f" -p "$tmp/k.pid" -r "$tmp/v.pid" \
    -c "$tmp/c.pid" -b -l >"$tmp/$name.keepalived" 2>&1 || ka=$?
  gd=0
  timeout 20 ip netns exec "$ns" "$build/galed" -t -f "$f" -i lb1 >"$tmp/$name.galed" 2>&1 || gd=$?
  if [ "$ka" -eq 0 ]; then
    accepted=$((accepted + 1))
    if [ "$gd" -eq 0 ]; then
      agree=$((agree + 1))
      echo "agree    (both accept)  $name"
    else
      failed=$((failed + 1))
      echo "DISAGREE (keepalived accepts, galed refuses)  $name"
      sed 's/^/    galed: /' "$tmp/$name.galed" | grep -v ': warning: ' | head -5
    fi
  elif [ "$gd" -ne 0 ]; then
    agree=$((agree + 1))
    echo "agree    (both refuse)  $name"
  else
    echo "differ   (keepalived refuses: $(grep -v '^$' "$tmp/$name.keepalived" | tail -1); galed accepts)  $name"
  fi
done
echo "keepalived.samples: $agree of $total agree; galed accepts $((accepted - failed)) of the $accepted keepalived accepts"
[ "$failed" -eq 0 ]
