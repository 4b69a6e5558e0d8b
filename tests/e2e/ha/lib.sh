# Shared by the VRRP e2e scripts (sourced, after `set -euo pipefail`): a switch (a bridge
# in its own namespace), nodes joined to it by veth pairs, polling, and the removal of
# every namespace a script made. The script names its switch namespace `sw`.

now_ms() { date +%s%3N; }

# Polls CONDITION every 20 ms for at most MS milliseconds; prints the ms it took.
wait_for() {  # MS CONDITION...
  local ms=$1 t0
  shift
  t0=$(now_ms)
  while ! "$@"; do
    [ $(($(now_ms) - t0)) -le "$ms" ] || return 1
    sleep 0.02
  done
  echo $(($(now_ms) - t0))
}

# Fails if CONDITION becomes true within MS milliseconds (polled every 50 ms).
holds_not() {  # MS CONDITION...
  local ms=$1 t0
  shift
  t0=$(now_ms)
  while [ $(($(now_ms) - t0)) -le "$ms" ]; do
    if "$@"; then return 1; fi
    sleep 0.05
  done
}

# The switch: namespace $sw with bridge br0.
make_switch() {
  ip netns add "$sw"
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
}

# A node: namespace NS whose interface IF (its peer IFs on the switch) has ADDR/24.
join() {  # NS IF ADDR
  ip netns add "$1"
  ip link add "$2" netns "$1" type veth peer name "$2s" netns "$sw"
  ip -n "$sw" link set "$2s" master br0 up
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$1" link set lo up
  ip -n "$1" link set "$2" up
}

# Kills what runs in each namespace and deletes it (for the scripts' EXIT traps).
remove_netns() {  # NS...
  local ns
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
