/* The steering program's map layouts, shared by steer.bpf.c and the loader
 * (io/xdp_program.cc), which fills them from the snapshot's endpoint list
 * (lb::Snapshot::owned). Plain C: the BPF side is built by clang -target bpf. */
#ifndef GALE_IO_BPF_STEER_MAPS_H
#define GALE_IO_BPF_STEER_MAPS_H

#include <linux/types.h>

#define GALE_STEER_PROG_NAME "gale_steer"
#define GALE_STEER_MAX_QUEUES 256
#define GALE_STEER_MAX_ENDPOINTS 65536
#define GALE_STEER_MAX_PREFIXES 64 /* lb::kMaxFwmarkRules */

/* An exact endpoint: services (dst) and NAT real-server sources (src); with port 0 in
 * `service_addrs`, a service address for any port (fragments). IPv4 addresses take the
 * first 4 bytes, the rest zero. Port in network byte order. */
struct gale_endpoint_key {
  __u8 addr[16];
  __be16 port;
  __u8 proto;  /* IPPROTO_TCP / IPPROTO_UDP */
  __u8 family; /* 4 or 6 */
};

/* A local address with a port range (FullNAT): dst addr + proto -> range. */
struct gale_range_key {
  __u8 addr[16];
  __u8 proto; /* 0: TCP and UDP */
  __u8 family;
  __u8 pad[2];
};
struct gale_port_range {
  __u16 lo, hi; /* host byte order, inclusive */
};

/* A fwmark rule: destination prefix, ports, protocol. Slots of the `prefixes` array are
 * filled from 0; the first with family 0 ends the list. */
struct gale_prefix {
  __u8 addr[16]; /* the network address (bits past prefix_len are zero) */
  __u8 prefix_len;
  __u8 proto;
  __u8 family; /* 4 or 6; 0: end of the list */
  __u8 pad;
  __u16 port_lo, port_hi; /* host byte order, inclusive */
};

/* The destination MACs the dataplane takes (lb::Snapshot::accept_macs), in the slots of
 * the `macs` array from 0; the first with `used` 0 ends the list, and an empty list (slot
 * 0 unused) takes every MAC. A unicast frame to another MAC (flooded by a switch) passes
 * to the kernel, which drops it as PACKET_OTHERHOST. */
#define GALE_STEER_MAX_MACS 16
struct gale_mac {
  __u8 addr[6];
  __u8 used;
  __u8 pad;
};

/* Counters, one per-CPU array slot each. */
enum gale_steer_stat {
  GALE_STEER_REDIRECTED = 0,
  GALE_STEER_PASSED = 1,
  GALE_STEER_ICMP_REDIRECTED = 2,
  GALE_STEER_FRAGMENT_REDIRECTED = 3,
  GALE_STEER_STATS = 4,
};

#endif
