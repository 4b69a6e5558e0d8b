#!/usr/bin/python3
# An independent reference of gale's Maglev table, the source of the constants that
# maglev_test.cc's PinnedTable test compares build_maglev() against. Written from the
# Maglev paper (Eisenbud et al., NSDI 2016, section 3.4: permutation[i][j] = (offset +
# j * skip) % M, backends take turns claiming their next preferred free entry) and gale's
# definitions (docs/maglev.md, lb/maglev.h): the splitmix64 finaliser, the key of an
# address and port, the offset and skip seeds, the turns rationed by weight credit, the
# turn order by key. Plain arithmetic, no shared code.
#
#   /usr/bin/python3 tests/unit/lb/maglev_reference.py
# prints, per table size, the FNV-1a 64 of the table (each entry as 2 bytes, low byte
# first) and its first entries, then the backends' keys.
#
# Change these constants only with a note in docs/maglev.md: a different table on a
# new version breaks every established flow that ECMP moves between an old and a new
# node during an upgrade.
M = (1 << 64) - 1
def mix(x):
    x ^= x >> 30; x = (x * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 27; x = (x * 0x94d049bb133111eb) & M
    x ^= x >> 31; return x
OFF = 0x9e3779b97f4a7c15; SKIP = 0xc2b2ae3d27d4eb4f
def key(addr16, family, port):
    hi = int.from_bytes(addr16[:8], 'big'); lo = int.from_bytes(addr16[8:], 'big')
    h = mix(hi ^ OFF); h = mix(h ^ lo); return mix(h ^ ((family << 16) | port))
def rotl(x, r): return ((x << r) | (x >> (64 - r))) & M
def table(backends, size):  # backends: [(key, weight)]
    rows = []
    for i, (k, w) in enumerate(backends):
        if w == 0: continue
        rows.append([k, w, mix(k ^ OFF) % size, mix(rotl(k, 32) ^ SKIP) % (size - 1) + 1, 0, i])
    rows.sort(key=lambda r: (r[0], r[1]))
    wmax = max(r[1] for r in rows)
    t = [None] * size; n = 0
    nxt = {id(r): 0 for r in rows}
    while True:
        for r in rows:
            r[4] += r[1]
            if r[4] < wmax: continue
            r[4] -= wmax
            # the paper: next preferred entry c = (offset + j * skip) % size, j = 0, 1, ...
            while True:
                c = (r[2] + nxt[id(r)] * r[3]) % size
                nxt[id(r)] += 1
                if t[c] is None: break
            t[c] = r[5]; n += 1
            if n == size: return t
def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data: h ^= b; h = (h * 0x100000001b3) & M
    return h
import ipaddress, sys
def v4(s): return ipaddress.IPv4Address(s).packed + bytes(12)
def v6(s): return ipaddress.IPv6Address(s).packed
backs = [(key(v4('10.0.0.1'), 4, 80), 1), (key(v4('10.0.0.2'), 4, 80), 2),
         (key(v4('10.0.0.3'), 4, 8080), 3), (key(v6('2001:db8::1'), 6, 80), 1),
         (key(v4('10.0.0.4'), 4, 80), 0)]
for size in (13, 251, 65537):
    t = table(backs, size)
    data = b''.join((x if x is not None else 0xffff).to_bytes(2, 'little') for x in t)
    print(size, hex(fnv1a64(data)), t[:16])
print([hex(k) for k, w in backs])
