/* gale's XDP steering program (docs/io.md). It redirects to the AF_XDP sockets exactly
 * the frames the engine's classifier (lb/classify.cc) calls ours and passes everything
 * else to the kernel, so ARP, ND, VRRP, BGP, SSH and ping keep working on the same
 * interface. The maps hold the snapshot's one endpoint list (lb::Snapshot::owned):
 *   - TCP/UDP to a service (dst addr, dst port, proto)             -> map `services`
 *   - TCP/UDP to a fwmark rule (dst prefix, dst port range, proto)  -> array `prefixes`
 *   - TCP/UDP to a FullNAT local address, dst port in its range     -> map `laddrs`
 *   - TCP/UDP from a NAT real server (src addr, src port, proto)    -> map `nat_sources`
 *   - a fragment after the first, to a service address of its protocol (any port):
 *     `service_addrs` or `prefixes` (the engine drops it, counted: no reassembly)
 *   - ICMP/ICMPv6 errors whose quoted packet, reversed, is one of the above.
 * A frame to a destination MAC outside the `macs` list passes first of all.
 * The headers are walked as net/parse.cc walks them: up to two VLAN tags (802.1Q or
 * 802.1ad), the IPv4 header within its total length, up to 8 IPv6 extension headers
 * within the payload length. What fails those checks goes to the kernel; the ports are
 * the first 4 bytes of the L4 header, and nothing past them is validated here (the
 * engine drops an owned frame with a bad L4 header, counted).
 * tests/e2e/io/steer_diff_test.cc holds this program to the classifier. A frame on a
 * queue without a socket falls back to XDP_PASS (the flags of bpf_redirect_map). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_maps.h"

/* ICMP error types (linux/icmp.h would pull in libc headers, which -target bpf lacks). */
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PARAMPROB 4
#define PROTO_ICMPV6 58 /* linux/in6.h would pull in libc headers too */

#define IPV6_HOPOPTS 0
#define IPV6_ROUTING 43
#define IPV6_FRAGMENT 44
#define IPV6_AUTH 51
#define IPV6_DSTOPTS 60
#define MAX_VLAN_TAGS 2 /* net::kMaxVlanTags */
#define MAX_IPV6_EXT 8  /* net::kMaxIpv6ExtHeaders */
/* Offsets are bounded so the verifier can follow packet pointers built from them. */
#define MAX_OFF 0x3fff

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, GALE_STEER_MAX_QUEUES);
  __type(key, __u32);
  __type(value, __u32);
} xsks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, GALE_STEER_MAX_ENDPOINTS);
  __type(key, struct gale_endpoint_key);
  __type(value, __u8);
} services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, GALE_STEER_MAX_ENDPOINTS);
  __type(key, struct gale_endpoint_key);
  __type(value, __u8);
} service_addrs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, GALE_STEER_MAX_ENDPOINTS);
  __type(key, struct gale_endpoint_key);
  __type(value, __u8);
} nat_sources SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct gale_range_key);
  __type(value, struct gale_port_range);
} laddrs SEC(".maps");

/* An array, not an LPM trie: a trie answers only the longest prefix, but fwmark rules
 * also carry port ranges and a protocol, so a shorter prefix may be the one that
 * matches (10.0.0.0/8 port 80 under 10.1.0.0/16 port 443). A scan of at most 64 rules
 * matches them exactly as lb::Snapshot::service_for does. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, GALE_STEER_MAX_PREFIXES);
  __type(key, __u32);
  __type(value, struct gale_prefix);
} prefixes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, GALE_STEER_MAX_MACS);
  __type(key, __u32);
  __type(value, struct gale_mac);
} macs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, GALE_STEER_STATS);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* What the matching needs of an IP packet. */
struct tuple {
  __u32 src[4], dst[4];
  __be16 sport, dport;
  __u8 proto, family;
};

static __always_inline void count(__u32 which) {
  __u64* v = bpf_map_lookup_elem(&stats, &which);
  if (v) *v += 1;
}

static __always_inline int is_endpoint(void* map, const __u32* addr, __be16 port, __u8 proto,
                                       __u8 family) {
  struct gale_endpoint_key k;
  __builtin_memset(&k, 0, sizeof k);
  __builtin_memcpy(k.addr, addr, 16);
  k.port = port;
  k.proto = proto;
  k.family = family;
  return bpf_map_lookup_elem(map, &k) != 0;
}

static __always_inline int is_local(const __u32* addr, __be16 port, __u8 proto, __u8 family) {
  struct gale_range_key k;
  __builtin_memset(&k, 0, sizeof k);
  __builtin_memcpy(k.addr, addr, 16);
  k.proto = proto;
  k.family = family;
  struct gale_port_range* r = bpf_map_lookup_elem(&laddrs, &k);
  if (!r) {
    k.proto = 0; /* a local address for both protocols */
    r = bpf_map_lookup_elem(&laddrs, &k);
  }
  if (!r) return 0;
  __u16 p = bpf_ntohs(port);
  return p >= r->lo && p <= r->hi;
}

static __always_inline int in_prefix(const struct gale_prefix* r, const __u32* a) {
  __u32 net[4];
  __builtin_memcpy(net, r->addr, 16);
  for (int w = 0; w < 4; w++) {
    int bits = (int)r->prefix_len - 32 * w;
    if (bits <= 0) break;
    __u32 mask = bits >= 32 ? 0xffffffffu : bpf_htonl(0xffffffffu << (32 - bits));
    if ((a[w] ^ net[w]) & mask) return 0;
  }
  return 1;
}

/* A fwmark rule matching (dst, proto) and, unless any_port, the port. */
static __always_inline int is_marked(const __u32* dst, __be16 port, __u8 proto, __u8 family,
                                     int any_port) {
  __u16 p = bpf_ntohs(port);
  for (__u32 i = 0; i < GALE_STEER_MAX_PREFIXES; i++) {
    struct gale_prefix* r = bpf_map_lookup_elem(&prefixes, &i);
    if (!r || r->family == 0) return 0;
    if (r->family != family || r->proto != proto) continue;
    if (!any_port && (p < r->port_lo || p > r->port_hi)) continue;
    if (in_prefix(r, dst)) return 1;
  }
  return 0;
}

/* A TCP/UDP packet toward the dataplane (lb::classify_tuple). */
static __always_inline int owned(const struct tuple* t) {
  if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP) return 0;
  return is_endpoint(&services, t->dst, t->dport, t->proto, t->family) ||
         is_marked(t->dst, t->dport, t->proto, t->family, 0) ||
         is_local(t->dst, t->dport, t->proto, t->family) ||
         is_endpoint(&nat_sources, t->src, t->sport, t->proto, t->family);
}

/* A fragment after the first: ours when sent to a service address of its protocol. */
static __always_inline int owned_fragment(const struct tuple* t) {
  return is_endpoint(&service_addrs, t->dst, 0, t->proto, t->family) ||
         is_marked(t->dst, 0, t->proto, t->family, 1);
}

static __always_inline int is_ipv6_ext(__u8 nh) {
  return nh == IPV6_HOPOPTS || nh == IPV6_ROUTING || nh == IPV6_FRAGMENT || nh == IPV6_DSTOPTS ||
         nh == IPV6_AUTH;
}

/* net/parse.cc's is_icmp_error: by the outer family, for either ICMP protocol. */
static __always_inline int is_icmp_error(__u8 family, __u8 type) {
  if (family == 4)
    return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
           type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
  return type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAMPROB;
}

enum verdict { PASS, REDIRECT, REDIRECT_ICMP, REDIRECT_FRAGMENT };

/* Reads the quoted packet of an ICMP error in [off, end) (net/icmp.cc's
 * parse_icmp_inner) and says whether it, reversed, is owned. */
static __always_inline int quote_owned(void* data, void* dend, __u32 off, __u32 end,
                                       __u8 family) {
  struct tuple q;
  __builtin_memset(&q, 0, sizeof q);
  __u32 l4;
  if (off > MAX_OFF) return 0;
  __u8* ip = data + off;
  if (family == 4) {
    if (end < off + 20 || (void*)(ip + 20) > dend) return 0;
    if ((ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5) return 0;
    l4 = off + (ip[0] & 0xf) * 4;
    q.proto = ip[9];
    __builtin_memcpy(q.src, ip + 16, 4); /* reversed: the quote's dst is our src */
    __builtin_memcpy(q.dst, ip + 12, 4);
  } else {
    if (end < off + 40 || (void*)(ip + 40) > dend) return 0;
    if ((ip[0] >> 4) != 6) return 0;
    l4 = off + 40;
    q.proto = ip[6];
    __builtin_memcpy(q.src, ip + 24, 16);
    __builtin_memcpy(q.dst, ip + 8, 16);
  }
  q.family = family;
  if (l4 > end || end - l4 < 8 || l4 > MAX_OFF) return 0;
  __be16* ports = data + l4;
  if ((void*)(ports + 2) > dend) return 0;
  q.sport = ports[1];
  q.dport = ports[0];
  return owned(&q);
}

/* Whether the frame's destination MAC is one the dataplane takes (map `macs`). */
static __always_inline int mac_accepted(const __u8* dst) {
  for (__u32 i = 0; i < GALE_STEER_MAX_MACS; i++) {
    const struct gale_mac* m = bpf_map_lookup_elem(&macs, &i);
    if (!m || !m->used) return i == 0;
    if (m->addr[0] == dst[0] && m->addr[1] == dst[1] && m->addr[2] == dst[2] &&
        m->addr[3] == dst[3] && m->addr[4] == dst[4] && m->addr[5] == dst[5])
      return 1;
  }
  return 0;
}

/* Packet bounds are checked with pointers (p + n > dend), which the verifier follows;
 * offsets are also compared as numbers where the IP lengths, not the frame, bound them. */
static __always_inline enum verdict classify(void* data, void* dend) {
  __u8* p = data;
  if ((void*)(p + ETH_HLEN) > dend) return PASS;
  if (!mac_accepted(p)) return PASS;
  __u32 off = 12;
  __be16 type = *(__be16*)(p + 12);
  for (int n = 0; n <= MAX_VLAN_TAGS; n++) {
    if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD)) break;
    if (n == MAX_VLAN_TAGS) return PASS;
    off += 4;
    if ((void*)(p + off + 2) > dend) return PASS;
    type = *(__be16*)(p + off);
  }
  off += 2; /* the L3 header */
  if ((void*)(p + off) > dend) return PASS;
  __u32 len = (__u32)((__u8*)dend - (p + off)); /* bytes from the L3 header on */

  struct tuple t;
  __builtin_memset(&t, 0, sizeof t);
  __u32 l3_end, l4;
  int later = 0;
  if (type == bpf_htons(ETH_P_IP)) {
    __u8* ip = p + off;
    if ((void*)(ip + 20) > dend) return PASS;
    if ((ip[0] >> 4) != 4) return PASS;
    __u32 hl = (ip[0] & 0xf) * 4;
    if (hl < 20 || hl > len) return PASS;
    __u32 total = bpf_ntohs(*(__be16*)(ip + 2));
    if (total < hl || total > len) return PASS;
    l3_end = off + total;
    l4 = off + hl;
    t.family = 4;
    t.proto = ip[9];
    __builtin_memcpy(t.src, ip + 12, 4);
    __builtin_memcpy(t.dst, ip + 16, 4);
    later = (bpf_ntohs(*(__be16*)(ip + 6)) & 0x1fff) != 0;
  } else if (type == bpf_htons(ETH_P_IPV6)) {
    __u8* ip = p + off;
    if ((void*)(ip + 40) > dend) return PASS;
    if ((ip[0] >> 4) != 6) return PASS;
    __u32 total = 40 + bpf_ntohs(*(__be16*)(ip + 4));
    if (total > len) return PASS;
    l3_end = off + total;
    t.family = 6;
    __builtin_memcpy(t.src, ip + 8, 16);
    __builtin_memcpy(t.dst, ip + 24, 16);
    __u8 nh = ip[6];
    __u32 at = off + 40;
    for (int n = 0; n <= MAX_IPV6_EXT; n++) {
      if (!is_ipv6_ext(nh)) break;
      if (n == MAX_IPV6_EXT) return PASS;
      if (l3_end - at < 8 || at > MAX_OFF) return PASS;
      __u8* h = p + at;
      if ((void*)(h + 8) > dend) return PASS;
      __u32 hlen;
      if (nh == IPV6_FRAGMENT) {
        hlen = 8;
        if (bpf_ntohs(*(__be16*)(h + 2)) & 0xfff8) later = 1;
      } else if (nh == IPV6_AUTH) {
        hlen = ((__u32)h[1] + 2) * 4;
      } else {
        hlen = ((__u32)h[1] + 1) * 8;
      }
      if (hlen > l3_end - at) return PASS;
      nh = h[0];
      at += hlen;
    }
    t.proto = nh;
    l4 = at;
  } else {
    return PASS;
  }

  if (later) return owned_fragment(&t) ? REDIRECT_FRAGMENT : PASS;
  if (l4 > MAX_OFF) return PASS;
  if (t.proto == IPPROTO_TCP || t.proto == IPPROTO_UDP) {
    __be16* ports = (void*)(p + l4);
    if (l4 + 4 > l3_end || (void*)(ports + 2) > dend) return PASS;
    t.sport = ports[0];
    t.dport = ports[1];
    return owned(&t) ? REDIRECT : PASS;
  }
  if (t.proto == IPPROTO_ICMP || t.proto == PROTO_ICMPV6) {
    __u8* icmp = p + l4;
    if (l4 + 8 > l3_end || (void*)(icmp + 8) > dend) return PASS;
    if (!is_icmp_error(t.family, icmp[0])) return PASS;
    return quote_owned(data, dend, l4 + 8, l3_end, t.family) ? REDIRECT_ICMP : PASS;
  }
  return PASS;
}

SEC("xdp")
int gale_steer(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  switch (classify(data, end)) {
    case PASS:
      count(GALE_STEER_PASSED);
      return XDP_PASS;
    case REDIRECT_ICMP:
      count(GALE_STEER_ICMP_REDIRECTED);
      break;
    case REDIRECT_FRAGMENT:
      count(GALE_STEER_FRAGMENT_REDIRECTED);
      break;
    case REDIRECT:
      break;
  }
  count(GALE_STEER_REDIRECTED);
  return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
