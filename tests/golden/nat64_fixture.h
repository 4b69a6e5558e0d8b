// The golden tests' NAT64 service (lb/nat64.h): the fixture's snapshot (lb_fixture.h)
// plus an IPv6 VIP port served by IPv4 FullNAT real servers.
#pragma once

#include <cstdio>

#include "lb_fixture.h"

namespace gale::golden {

inline constexpr uint16_t kNat64Port = 64;  // the NAT64 service's port on the IPv6 VIP

// The fixture's snapshot plus, on the IPv6 VIP, port 64 (TCP and UDP) served by two
// IPv4 FullNAT servers each: 10.<1 tcp|2 udp>.64.<n>, listening on kRsPort.
inline Snapshot nat64_snapshot(lb::ProxyProto proxy = lb::ProxyProto::none) {
  Snapshot s = make_snapshot();
  s.generation = 2;
  for (uint8_t proto : {net::kProtoTcp, net::kProtoUdp}) {
    Service svc{.vip = ip(kV6.vip), .port = kNat64Port, .proto = proto};
    for (int n = 1; n <= 2; ++n) {
      char addr[32];
      std::snprintf(addr, sizeof addr, "10.%d.64.%d", proto == net::kProtoTcp ? 1 : 2, n);
      RealServer rs{.addr = ip(addr),
                    .port = kRsPort,
                    .mode = FwdMode::fullnat,
                    .mac = mac(rs_mac(false, Svc{kNat64Port}, proto, n)),
                    .out_link = 1,
                    .proxy = proto == net::kProtoTcp ? proxy : lb::ProxyProto::none};
      svc.dests.push_back({.addr = rs.addr, .port = kRsPort, .weight = 1});
      svc.dest_ids.push_back(static_cast<uint16_t>(s.real_servers.size()));
      s.real_servers.push_back(rs);
    }
    s.services.push_back(std::move(svc));
  }
  auto ok = s.finalize();
  EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
  return s;
}

}  // namespace gale::golden
