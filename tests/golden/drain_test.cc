// Draining: a real server removed by a reload keeps its connections, both ways.
#include "lb_fixture.h"

namespace gale::golden {
namespace {

// What a reload that removes real server `id` from the TCP service `svc` publishes: the
// server kept, not live, out of its service's dests. The service's remaining server ids.
std::vector<uint16_t> remove_server(Snapshot& next, const Family& f, Svc svc, uint16_t id) {
  next.generation += 1;
  Service& s = next.services[service_index(next, service_of(next, f, svc, net::kProtoTcp))];
  const size_t pos = next.real_servers[id].pos;
  next.real_servers[id].live = false;
  s.dests.erase(s.dests.begin() + static_cast<ptrdiff_t>(pos));
  s.dest_ids.erase(s.dest_ids.begin() + static_cast<ptrdiff_t>(pos));
  return s.dest_ids;
}

// A NAT real server removed by a reload (kept in real_servers with live = false, gone
// from its service's dests) keeps its flows both ways until they drain: its replies
// are still recognised by their source (Snapshot::finalize registers draining NAT
// servers too).
TEST(Drain, NatReplyOfADrainingServerIsTranslated) {
  for (const Family* f : {&kV4, &kV6}) {
    SCOPED_TRACE(f->name);
    Golden g;
    const Seg syn{.src = f->client,
                  .dst = f->vip,
                  .sport = 40000,
                  .dport = port_of(Svc::nat),
                  .flags = net::kTcpSyn};
    ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, syn)).verdict, Verdict::tx);
    const RealServer* rs = g.flow_rs(syn);
    ASSERT_NE(rs, nullptr);
    const uint16_t id = static_cast<uint16_t>(rs - g.snap().real_servers.data());
    const std::string rs_ip = text(rs->addr), rs_mac = text(rs->mac);

    Snapshot next = g.snap();
    remove_server(next, *f, Svc::nat, id);
    ASSERT_TRUE(next.finalize().has_value());
    g.reload(std::move(next));

    const Seg reply{.src = rs_ip,
                    .dst = f->client,
                    .sport = kRsPort,
                    .dport = 40000,
                    .flags = net::kTcpSyn | net::kTcpAck};
    Seg to_client = syn.reversed();
    to_client.ttl = 63;
    to_client.flags = reply.flags;
    EXPECT_TRUE(sent(g.run(frame(rs_mac, kPort1Mac, reply), 1), 0,
                     frame(kPort0Mac, kGatewayMac, to_client)));
  }
}

// A DR server removed while a connection to it is open: by default the connection drains
// to it; with expire_nodest_conn (IPVS's sysctl of that name) the client's next segment
// ends it and is scheduled afresh, to the server that remains (which resets it).
TEST(Drain, ExpireNodestConnMovesTheNextPacketToALiveServer) {
  for (const Family* f : {&kV4, &kV6}) {
    for (const bool expire : {false, true}) {
      SCOPED_TRACE(std::string(f->name) + (expire ? " expire_nodest_conn" : " drain"));
      Golden g;
      Seg seg{.src = f->client,
              .dst = f->vip,
              .sport = 40000,
              .dport = port_of(Svc::dr),
              .flags = net::kTcpSyn};
      ASSERT_EQ(g.run(frame(kClientSideMac, kPort0Mac, seg)).verdict, Verdict::tx);
      const RealServer* old_rs = g.flow_rs(seg);
      ASSERT_NE(old_rs, nullptr);
      const uint16_t id = static_cast<uint16_t>(old_rs - g.snap().real_servers.data());
      const std::string old_mac = text(old_rs->mac);

      Snapshot next = g.snap();
      next.expire_nodest_conn = expire;
      const std::vector<uint16_t> left = remove_server(next, *f, Svc::dr, id);
      ASSERT_EQ(left.size(), 1u);
      const uint16_t other = left[0];
      ASSERT_TRUE(next.finalize().has_value());
      g.reload(std::move(next));

      seg.flags = net::kTcpAck;
      const std::string want_mac = expire ? text(g.snap().real_servers[other].mac) : old_mac;
      EXPECT_TRUE(
          sent(g.run(frame(kClientSideMac, kPort0Mac, seg)), 1, frame(kPort1Mac, want_mac, seg)));
      EXPECT_EQ(g.worker.counters().nodest_expired, expire ? 1u : 0u);
      ASSERT_NE(g.flow_rs(seg), nullptr);
      EXPECT_EQ(g.flow_rs(seg) - g.snap().real_servers.data(), expire ? other : id);
    }
  }
}

}  // namespace
}  // namespace gale::golden
