// The connection sync wire format (ha/sync_wire.h): bytes laid out as docs/ha.md
// documents them, written by hand here; round trips; what a receiver refuses.
#include "ha/sync_wire.h"

#include <gtest/gtest.h>

#include <vector>

namespace gale::ha {
namespace {

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

lb::SyncEvent nat_v4() {
  return {.op = lb::SyncOp::upsert,
          .flow = {.vip = ip("192.0.2.10"),
                   .vport = 80,
                   .proto = 6,
                   .rs_addr = ip("10.0.0.2"),
                   .rs_port = 8080,
                   .tuple = {.src = ip("198.51.100.7"),
                             .dst = ip("192.0.2.10"),
                             .sport = 40000,
                             .dport = 80,
                             .proto = 6},
                   .mode = lb::FwdMode::nat,
                   .state = lb::ConnState::established,
                   .timeout_s = 900}};
}

lb::SyncEvent fullnat_v6() {
  return {.op = lb::SyncOp::upsert,
          .flow = {.vip = ip("2001:db8::10"),
                   .vport = 443,
                   .proto = 6,
                   .rs_addr = ip("2001:db8:1::2"),
                   .rs_port = 8443,
                   .tuple = {.src = ip("2001:db8:99::7"),
                             .dst = ip("2001:db8::10"),
                             .sport = 50000,
                             .dport = 443,
                             .proto = 6},
                   .mode = lb::FwdMode::fullnat,
                   .state = lb::ConnState::fin_wait,
                   .laddr = ip("2001:db8:2::1"),
                   .lport = 20001,
                   .timeout_s = 120}};
}

TEST(SyncWire, AnIpv4RecordIsLaidOutAsDocumented) {
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {.type = SyncType::flows, .syncid = 7, .node = 0x01020304, .seq = 9});
  ASSERT_TRUE(w.add(nat_v4()));
  const size_t len = w.finish();
  const std::vector<uint8_t> want = {
      'G', 'S', 'Y',  'N',  1,    1,    7,    1,   // magic, version, type flows, syncid, 1 record
      1,   2,   3,    4,    0,    0,    0,    9,   // node, sequence
      1,   4,   6,    2,    2,    0,    0,    48,  // upsert, IPv4, TCP, NAT, established, length 48
      0,   0,   0,    0,    0,    0,    0x03, 0x84,  // fwmark 0, 900 s
      0,   80,  0x1f, 0x90, 0x9c, 0x40, 0,    80,    // VIP port, server port, client port, dport
      0,   0,   0,    0,                             // local port, flags
      192, 0,   2,    10,   10,   0,    0,    2,     // VIP, real server
      198, 51,  100,  7,    192,  0,    2,    10,    // client, its destination
      0,   0,   0,    0};                            // no local address
  ASSERT_EQ(len, want.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + len), want);
  ASSERT_EQ(len, kSyncHeaderLen + kSyncRecordV4);
  EXPECT_EQ(static_cast<int>(lb::ConnState::established), 2) << "the wire's state numbers";
}

TEST(SyncWire, RecordsOfBothFamiliesRoundTrip) {
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {.type = SyncType::flows, .syncid = 3, .node = 42, .seq = 100});
  lb::SyncEvent gone = nat_v4();
  gone.op = lb::SyncOp::remove;
  lb::SyncEvent marked = nat_v4();
  marked.flow.fwmark = 5;
  marked.flow.vip = {};
  marked.flow.vport = 0;
  const std::vector<lb::SyncEvent> in = {nat_v4(), fullnat_v6(), gone, marked};
  for (const lb::SyncEvent& e : in)
    ASSERT_TRUE(w.add(e));
  const size_t len = w.finish();
  std::vector<lb::SyncEvent> out;
  auto h = parse_sync({buf.data(), len}, out);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->type, SyncType::flows);
  EXPECT_EQ(h->syncid, 3);
  EXPECT_EQ(h->node, 42u);
  EXPECT_EQ(h->seq, 100u);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(out[i], in[i]) << "record " << i;
}

// NAT64 (docs/modes.md): an IPv6 record whose real server and local address are IPv4,
// written IPv4-mapped, and read back as IPv4.
TEST(SyncWire, ANat64RecordCarriesItsIpv4AddressesMapped) {
  lb::SyncEvent ev = fullnat_v6();
  ev.flow.rs_addr = ip("10.1.64.1");
  ev.flow.laddr = ip("10.3.0.1");
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {.type = SyncType::flows, .syncid = 1, .node = 1, .seq = 1});
  ASSERT_TRUE(w.add(ev));
  const size_t len = w.finish();
  ASSERT_EQ(len, kSyncHeaderLen + kSyncRecordV6);
  const uint8_t* rec = buf.data() + kSyncHeaderLen;
  EXPECT_EQ(rec[1], 6);
  const std::vector<uint8_t> rs(rec + kSyncRecordFixed + 16, rec + kSyncRecordFixed + 32);
  const std::vector<uint8_t> laddr(rec + kSyncRecordFixed + 64, rec + kSyncRecordFixed + 80);
  EXPECT_EQ(rs, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 64, 1}));
  EXPECT_EQ(laddr, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 3, 0, 1}));
  std::vector<lb::SyncEvent> out;
  ASSERT_TRUE(parse_sync({buf.data(), len}, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ev);
}

// A persistence template (ipvsadm -p): the client's network, port 0, to the service's
// VIP and port; flagged at IPVS's IP_VS_CONN_F_TEMPLATE bit, 0x1000.
lb::SyncEvent template_v4() {
  return {.op = lb::SyncOp::upsert,
          .flow = {.vip = ip("192.0.2.10"),
                   .vport = 80,
                   .proto = 6,
                   .rs_addr = ip("10.0.0.3"),
                   .tuple = {.src = ip("198.51.100.0"),
                             .dst = ip("192.0.2.10"),
                             .sport = 0,
                             .dport = 80,
                             .proto = 6},
                   .mode = lb::FwdMode::dr,
                   .state = lb::ConnState::other,
                   .timeout_s = 300,
                   .persistence_template = true}};
}

TEST(SyncWire, ATemplateRecordCarriesTheTemplateFlag) {
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {.type = SyncType::flows, .syncid = 7, .node = 0x01020304, .seq = 9});
  ASSERT_TRUE(w.add(template_v4()));
  const size_t len = w.finish();
  const std::vector<uint8_t> want = {
      'G', 'S', 'Y',  'N',  1,   1, 7,    1,     // magic, version, type flows, syncid, 1 record
      1,   2,   3,    4,    0,   0, 0,    9,     // node, sequence
      1,   4,   6,    0,    13,  0, 0,    48,    // upsert, IPv4, TCP, DR, other, length 48
      0,   0,   0,    0,    0,   0, 0x01, 0x2c,  // fwmark 0, 300 s
      0,   80,  0,    0,    0,   0, 0,    80,    // VIP port, server port 0, client port 0, dport
      0,   0,   0x10, 0x00,                      // local port, flags: template
      192, 0,   2,    10,   10,  0, 0,    3,     // VIP, real server
      198, 51,  100,  0,    192, 0, 2,    10,    // client's network, its destination
      0,   0,   0,    0};                        // no local address
  ASSERT_EQ(len, want.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + len), want);
  EXPECT_EQ(static_cast<int>(lb::ConnState::other), 13) << "the wire's state numbers";
}

// A FullNAT connection with a PROXY header: flag 0x0400 (IPVS's IP_VS_CONN_F_IN_SEQ)
// and 8 bytes after the addresses -- first sequence number, header length, version,
// acknowledged.
TEST(SyncWire, ASequenceTranslatedConnectionCarriesItsEightBytes) {
  lb::SyncEvent ev = nat_v4();
  ev.flow.mode = lb::FwdMode::fullnat;
  ev.flow.laddr = ip("10.3.0.1");
  ev.flow.lport = 20001;
  ev.flow.proxy_version = 2;
  ev.flow.proxy_acked = true;
  ev.flow.proxy_delta = 28;
  ev.flow.proxy_first_seq = 0xfffffff1;
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {.type = SyncType::flows, .syncid = 7, .node = 0x01020304, .seq = 9});
  ASSERT_TRUE(w.add(ev));
  const size_t len = w.finish();
  const std::vector<uint8_t> want = {
      'G',  'S',  'Y',  'N',  1,    1,    7,    1,     // magic, version, type flows, syncid, 1
      1,    2,    3,    4,    0,    0,    0,    9,     // node, sequence
      1,    4,    6,    3,    2,    0,    0,    56,    // upsert, IPv4, TCP, FullNAT, est., 56
      0,    0,    0,    0,    0,    0,    0x03, 0x84,  // fwmark 0, 900 s
      0,    80,   0x1f, 0x90, 0x9c, 0x40, 0,    80,    // ports
      0x4e, 0x21, 0x04, 0x00,                          // local port 20001, flags: in-seq
      192,  0,    2,    10,   10,   0,    0,    2,     // VIP, real server
      198,  51,   100,  7,    192,  0,    2,    10,    // client, its destination
      10,   3,    0,    1,                             // local address
      0xff, 0xff, 0xff, 0xf1, 0,    28,   2,    1};    // first seq, 28 bytes, v2, acked
  ASSERT_EQ(len, want.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + len), want);
  std::vector<lb::SyncEvent> out;
  ASSERT_TRUE(parse_sync({buf.data(), len}, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ev);
  // The flag without its 8 bytes is refused, not read past.
  std::vector<uint8_t> cut(want.begin(), want.end() - 8);
  cut[23] = 48;
  std::vector<lb::SyncEvent> none;
  EXPECT_FALSE(parse_sync(cut, none));
}

TEST(SyncWire, TemplatesOfBothFamiliesRoundTripAndUnknownFlagsAreIgnored) {
  lb::SyncEvent v6 = template_v4();
  v6.flow.vip = v6.flow.tuple.dst = ip("2001:db8::10");
  v6.flow.rs_addr = ip("2001:db8:1::3");
  v6.flow.tuple.src = ip("2001:db8:99::");
  lb::SyncEvent gone = template_v4();
  gone.op = lb::SyncOp::remove;
  const std::vector<lb::SyncEvent> in = {template_v4(), v6, gone, nat_v4()};
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {});
  for (const lb::SyncEvent& e : in)
    ASSERT_TRUE(w.add(e));
  const size_t len = w.finish();
  std::vector<lb::SyncEvent> out;
  auto h = parse_sync({buf.data(), len}, out);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(out[i], in[i]) << "record " << i;

  // Another bit beside the template's (a later version's), in records 1 and 4.
  std::vector<uint8_t> d(buf.begin(), buf.begin() + len);
  d[kSyncHeaderLen + 27] |= 0x01;
  const size_t fourth = kSyncHeaderLen + 2 * kSyncRecordV4 + kSyncRecordV6;
  d[fourth + 26] |= 0x80;
  out.clear();
  h = parse_sync(d, out);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(out.size(), in.size());
  EXPECT_TRUE(out[0].flow.persistence_template);
  EXPECT_FALSE(out[3].flow.persistence_template);
  EXPECT_EQ(out[3], nat_v4());
}

TEST(SyncWire, ADatagramHoldsWhatFitsItsMaximumLength) {
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {});
  int n = 0;
  while (w.add(nat_v4()))
    ++n;
  EXPECT_EQ(n, static_cast<int>((1472 - kSyncHeaderLen) / kSyncRecordV4));  // 30
  EXPECT_LE(w.finish(), 1472u);
}

TEST(SyncWire, ControlMessagesCarryNoRecords) {
  std::vector<uint8_t> buf(64);
  const size_t len =
      write_sync_header(buf, {.type = SyncType::bulk_request, .syncid = 1, .node = 5}, 0);
  std::vector<lb::SyncEvent> out;
  auto h = parse_sync({buf.data(), len}, out);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, SyncType::bulk_request);
  EXPECT_TRUE(out.empty());
}

TEST(SyncWire, WhatAReceiverRefuses) {
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {});
  ASSERT_TRUE(w.add(nat_v4()));
  const size_t len = w.finish();
  const std::vector<uint8_t> good(buf.begin(), buf.begin() + len);
  auto refused = [&](std::vector<uint8_t> d) {
    std::vector<lb::SyncEvent> out;
    auto h = parse_sync(d, out);
    EXPECT_TRUE(out.empty());
    return h ? std::string("accepted") : h.error().message;
  };
  auto with = [&](size_t at, uint8_t v) {
    std::vector<uint8_t> d = good;
    d[at] = v;
    return d;
  };
  EXPECT_EQ(refused({good.begin(), good.begin() + 10}), "too short");
  EXPECT_EQ(refused(with(0, 'X')), "magic");
  EXPECT_EQ(refused(with(4, 2)), "version 2");
  EXPECT_EQ(refused(with(5, 9)), "type 9");
  EXPECT_EQ(refused(with(7, 2)), "record 2: truncated");
  EXPECT_EQ(refused(with(16 + 1, 5)), "record 1: family 5");
  EXPECT_EQ(refused(with(16 + 0, 3)), "record 1: op 3");
  EXPECT_EQ(refused(with(16 + 3, 4)), "record 1: mode 4");
  EXPECT_EQ(refused(with(16 + 4, 0)), "record 1: state 0");
  EXPECT_EQ(refused(with(16 + 7, 40)), "record 1: length 40");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_EQ(refused(longer), "trailing bytes");
  std::vector<uint8_t> control = with(5, 2);
  EXPECT_EQ(refused(control), "records in a control message");
}

TEST(SyncWire, ALongerRecordOfALaterVersionIsSkippedOverItsExtraBytes) {
  std::vector<uint8_t> buf(1472);
  SyncWriter w(buf, {});
  ASSERT_TRUE(w.add(nat_v4()));
  ASSERT_TRUE(w.add(fullnat_v6()));
  size_t len = w.finish();
  // Grow record 1 by four bytes of a future field.
  std::vector<uint8_t> d(buf.begin(), buf.begin() + len);
  d.insert(d.begin() + static_cast<long>(kSyncHeaderLen + kSyncRecordV4), {0xaa, 0xbb, 0xcc, 0xdd});
  d[kSyncHeaderLen + 7] = static_cast<uint8_t>(kSyncRecordV4 + 4);
  std::vector<lb::SyncEvent> out;
  auto h = parse_sync(d, out);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], nat_v4());
  EXPECT_EQ(out[1], fullnat_v6());
}

}  // namespace
}  // namespace gale::ha

namespace gale::ha {
namespace {

// ipvsadm(8): the backup daemon with --syncid 0 takes every master's messages; with
// another id, only that id's.
TEST(SyncWire, SyncIdZeroAcceptsEveryId) {
  EXPECT_TRUE(accepts_syncid(0, 0));
  EXPECT_TRUE(accepts_syncid(0, 51));
  EXPECT_TRUE(accepts_syncid(51, 51));
  EXPECT_FALSE(accepts_syncid(51, 52));
  EXPECT_FALSE(accepts_syncid(51, 0));
}

}  // namespace
}  // namespace gale::ha
