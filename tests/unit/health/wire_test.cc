// The checkers' bytes, against the specs: RFC 1321's MD5 test vectors, RFC 1035's
// message layout, RFC 5321's reply lines, keepalived's request template.
#include <gtest/gtest.h>

#include "health/wire.h"

namespace gale::health {
namespace {

TEST(HealthWire, Md5IsRfc1321) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST(HealthWire, HttpRequestAsKeepalived) {
  EXPECT_EQ(http_request("/", "10.0.0.1", 80, false, "1.0"),
            "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1\r\n\r\n");
  EXPECT_EQ(http_request("/x", "www", 8080, false, "1.1"),
            "GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nHost: www:8080\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(
      http_request("/", "w", 443, true, "1.0C"),
      "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: w\r\nConnection: close\r\n\r\n");
}

TEST(HealthWire, HttpStatus) {
  EXPECT_EQ(http_status("HTTP/1.1 200 OK\r\n"), 200);
  EXPECT_EQ(http_status("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n"), 404);
  EXPECT_EQ(http_status("HTTP/1.1 20"), std::nullopt);
  EXPECT_EQ(http_status("SSH-2.0-OpenSSH_9.2\r\n"), -1);
  EXPECT_EQ(http_status("HTTP/1.1 2x0 OK\r\n"), -1);
  EXPECT_EQ(http_body_offset("HTTP/1.0 200 OK\r\nA: b\r\n\r\nbody"), 25u);
  EXPECT_EQ(http_body_offset("HTTP/1.0 200 OK\r\nA: b\r\n"), std::nullopt);
}

TEST(HealthWire, StatusRanges) {
  EXPECT_TRUE(status_accepted(204, {}));
  EXPECT_FALSE(status_accepted(301, {}));
  const std::vector<ctl::StatusRange> r = {{200, 200}, {301, 302}};
  EXPECT_TRUE(status_accepted(302, r));
  EXPECT_FALSE(status_accepted(201, r));
}

TEST(HealthWire, DnsQueryIsRfc1035) {
  auto q = dns_query(0x1234, "a.bc", 1);
  ASSERT_TRUE(q);
  const std::string want(
      "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
      "\x01"
      "a\x02"
      "bc\x00\x00\x01\x00\x01",
      22);
  EXPECT_EQ(*q, want);
  auto root = dns_query(1, ".", 6);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->size(), 12u + 1 + 4);
  EXPECT_FALSE(dns_query(1, "a..b", 1));
  EXPECT_EQ(dns_type_code("aaaa"), 28);
  EXPECT_EQ(dns_type_code("SOA"), 6);
  EXPECT_EQ(dns_type_code("AXFR"), std::nullopt);
}

TEST(HealthWire, DnsReply) {
  std::string r("\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00", 12);
  EXPECT_TRUE(dns_check_reply(r, 0x1234));
  EXPECT_FALSE(dns_check_reply(r, 0x1235));
  r[2] = 0x01;  // QR clear: a query, not an answer
  EXPECT_FALSE(dns_check_reply(r, 0x1234));
  r[2] = '\x81';
  r[3] = '\x83';  // NXDOMAIN
  EXPECT_FALSE(dns_check_reply(r, 0x1234));
  EXPECT_FALSE(dns_check_reply(r.substr(0, 11), 0x1234));
}

TEST(HealthWire, SmtpReplies) {
  EXPECT_EQ(smtp_reply_code("220 mail ESMTP\r\n"), 220);
  EXPECT_EQ(smtp_reply_code("250-mail\r\n250-PIPELINING\r\n"), 0);
  EXPECT_EQ(smtp_reply_code("250-mail\r\n250 HELP\r\n"), 250);
  EXPECT_EQ(smtp_reply_code("220 mail"), 0);
  EXPECT_EQ(smtp_reply_code("hello\r\n"), -1);
}

TEST(HealthWire, Payload) {
  EXPECT_EQ(*payload_bytes("48690a"), std::string("Hi\n"));
  EXPECT_EQ(*payload_bytes(""), "");
  EXPECT_FALSE(payload_bytes("abc"));
  EXPECT_FALSE(payload_bytes("zz"));
}

}  // namespace
}  // namespace gale::health
