/* gale's XDP steering program (docs/io.md). It redirects to the AF_XDP sockets only the
 * frames the dataplane owns and passes everything else to the kernel, so ARP, ND, VRRP,
 * BGP, SSH and ping keep working on the same interface:
 *   - IPv4/IPv6 TCP/UDP to a service (dst addr, dst port, proto)   -> map `services`
 *   - to a FullNAT local address with dst port in its range        -> map `laddrs`
 *   - from a NAT real server (src addr, src port, proto)           -> map `nat_sources`
 *   - ICMP/ICMPv6 errors whose quoted packet is one the dataplane sent: from a service
 *     or a local address (quoted src), or to a NAT real server (quoted dst), so that
 *     "fragmentation needed" / "packet too big" reach the flow they are about.
 * One 802.1Q/802.1ad tag is parsed. Non-first IPv4 fragments and IPv6 extension headers
 * are passed (they carry no ports to match). A frame on a queue without a socket falls
 * back to XDP_PASS (the flags argument of bpf_redirect_map). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_maps.h"

/* ICMP error types (linux/icmp.h would pull in libc headers, which -target bpf lacks). */
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4

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
} nat_sources SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct gale_range_key);
  __type(value, struct gale_port_range);
} laddrs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, GALE_STEER_STATS);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* What the matching needs of an IP packet. */
struct tuple {
  __u8 src[16], dst[16];
  __be16 sport, dport;
  __u8 proto, family;
};

struct vlan_hdr {
  __be16 tci;
  __be16 proto;
};

static __always_inline void count(__u32 which) {
  __u64* v = bpf_map_lookup_elem(&stats, &which);
  if (v) *v += 1;
}

static __always_inline int is_endpoint(void* map, const __u8* addr, __be16 port, __u8 proto,
                                       __u8 family) {
  struct gale_endpoint_key k;
  __builtin_memset(&k, 0, sizeof k);
  __builtin_memcpy(k.addr, addr, 16);
  k.port = port;
  k.proto = proto;
  k.family = family;
  return bpf_map_lookup_elem(map, &k) != 0;
}

static __always_inline int is_local(const __u8* addr, __be16 port, __u8 proto, __u8 family) {
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

/* A packet toward the dataplane. */
static __always_inline int owned(const struct tuple* t) {
  return is_endpoint(&services, t->dst, t->dport, t->proto, t->family) ||
         is_local(t->dst, t->dport, t->proto, t->family) ||
         is_endpoint(&nat_sources, t->src, t->sport, t->proto, t->family);
}

/* A packet the dataplane sent (quoted in an ICMP error). */
static __always_inline int sent_by_us(const struct tuple* q) {
  return is_endpoint(&services, q->src, q->sport, q->proto, q->family) ||
         is_local(q->src, q->sport, q->proto, q->family) ||
         is_endpoint(&nat_sources, q->dst, q->dport, q->proto, q->family);
}

/* Parses an IP header at `p` (eth_proto says which); fills t and returns the L4 header,
 * or 0 when there is nothing to match (truncated, fragment, other protocol). */
static __always_inline void* parse_ip(void* p, void* end, __be16 eth_proto, struct tuple* t) {
  __builtin_memset(t, 0, sizeof *t);
  if (eth_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr* ip = p;
    if ((void*)(ip + 1) > end || ip->ihl < 5) return 0;
    if (ip->frag_off & bpf_htons(0x1fff)) return 0; /* not the first fragment */
    __builtin_memcpy(t->src, &ip->saddr, 4);
    __builtin_memcpy(t->dst, &ip->daddr, 4);
    t->proto = ip->protocol;
    t->family = 4;
    return p + (ip->ihl & 0xf) * 4;
  }
  if (eth_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr* ip6 = p;
    if ((void*)(ip6 + 1) > end) return 0;
    __builtin_memcpy(t->src, &ip6->saddr, 16);
    __builtin_memcpy(t->dst, &ip6->daddr, 16);
    t->proto = ip6->nexthdr;
    t->family = 6;
    return ip6 + 1;
  }
  return 0;
}

/* Reads the ports (the first 4 bytes of TCP and UDP alike). */
static __always_inline int parse_ports(void* l4, void* end, struct tuple* t) {
  __be16* ports = l4;
  if ((void*)(ports + 2) > end) return -1;
  t->sport = ports[0];
  t->dport = ports[1];
  return 0;
}

static __always_inline int is_icmp_error(struct tuple* t, void* l4, void* end) {
  __u8* type = l4;
  if ((void*)(type + 1) > end) return 0;
  if (t->family == 4 && t->proto == IPPROTO_ICMP)
    return *type == ICMP_DEST_UNREACH || *type == ICMP_TIME_EXCEEDED ||
           *type == ICMP_PARAMETERPROB;
  if (t->family == 6 && t->proto == IPPROTO_ICMPV6)
    return *type == ICMPV6_DEST_UNREACH || *type == ICMPV6_PKT_TOOBIG ||
           *type == ICMPV6_TIME_EXCEED || *type == ICMPV6_PARAMPROB;
  return 0;
}

SEC("xdp")
int gale_steer(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > end) goto pass;
  __be16 proto = eth->h_proto;
  void* l3 = eth + 1;
  if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
    struct vlan_hdr* vh = l3;
    if ((void*)(vh + 1) > end) goto pass;
    proto = vh->proto;
    l3 = vh + 1;
  }

  struct tuple t;
  void* l4 = parse_ip(l3, end, proto, &t);
  if (!l4) goto pass;
  if (t.proto == IPPROTO_TCP || t.proto == IPPROTO_UDP) {
    if (parse_ports(l4, end, &t) == 0 && owned(&t)) goto redirect;
    goto pass;
  }
  if (!is_icmp_error(&t, l4, end)) goto pass;
  /* ICMP and ICMPv6 error headers are 8 bytes; the quoted packet follows. */
  struct tuple q;
  void* ql4 = parse_ip(l4 + 8, end, t.family == 4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6),
                       &q);
  if (!ql4 || q.family != t.family || (q.proto != IPPROTO_TCP && q.proto != IPPROTO_UDP))
    goto pass;
  if (parse_ports(ql4, end, &q) != 0 || !sent_by_us(&q)) goto pass;
  count(GALE_STEER_ICMP_REDIRECTED);

redirect:
  count(GALE_STEER_REDIRECTED);
  return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
pass:
  count(GALE_STEER_PASSED);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
