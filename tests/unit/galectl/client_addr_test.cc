// galectl's FullNAT client-address options (docs/galectl.md): --proxy-protocol v1|v2|none
// and --toa / --no-toa on -a and -e, their refusals, the request galed gets, and -S
// writing them back so that -S | -R restores them.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "ctl/ipvsadm_cli.h"
#include "ctl/ipvsadm_render.h"
#include "ctl/ipvsadm_request.h"

namespace gale::ctl::ipvsadm {
namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

Invocation ok(const std::string& line) {
  auto inv = parse(words(line));
  EXPECT_TRUE(inv.has_value()) << line << ": " << (inv ? "" : inv.error().message);
  return inv.value_or(Invocation{});
}

using R = std::pair<int, std::string>;
R refused(const std::string& line) {
  auto inv = parse(words(line));
  EXPECT_FALSE(inv.has_value()) << line;
  if (inv) return {0, ""};
  return {inv.error().exit_code, inv.error().message};
}

TEST(ClientAddrCli, Options) {
  const Invocation a = ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol v2 --toa");
  EXPECT_EQ(a.dest.mode, lb::FwdMode::fullnat);
  EXPECT_EQ(a.dest.proxy, lb::ProxyProto::v2);
  EXPECT_EQ(a.dest.toa, true);
  const Invocation e =
      ok("-e -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol=v1 --no-toa");
  EXPECT_EQ(e.dest.proxy, lb::ProxyProto::v1);
  EXPECT_EQ(e.dest.toa, false);
  EXPECT_EQ(ok("-e -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol none").dest.proxy,
            lb::ProxyProto::none);
  // Not given: the service's (no value in the request).
  const Invocation plain = ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat");
  EXPECT_FALSE(plain.dest.proxy.has_value());
  EXPECT_FALSE(plain.dest.toa.has_value());
  // v2 is UDP's too; a fwmark service's protocol is galed's to check.
  EXPECT_EQ(ok("-a -u 10.0.0.1:53 -r 10.0.0.2:53 --fullnat --proxy-protocol v2").dest.proxy,
            lb::ProxyProto::v2);
  EXPECT_EQ(ok("-a -f 7 -r 10.0.0.2:80 --fullnat --toa").dest.toa, true);
  // Off needs no FullNAT.
  EXPECT_EQ(ok("-e -t 10.0.0.1:80 -r 10.0.0.2 -g --proxy-protocol none --no-toa").dest.toa, false);
}

TEST(ClientAddrCli, Refusals) {
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m --proxy-protocol v2"),
            R(2,
              "Client address options conflict with forward method (--proxy-protocol and "
              "--toa need --fullnat)"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2 --toa"),  // -g by default
            R(2,
              "Client address options conflict with forward method (--proxy-protocol and "
              "--toa need --fullnat)"));
  EXPECT_EQ(refused("-a -u 10.0.0.1:53 -r 10.0.0.2:53 --fullnat --toa"),
            R(2, "TOA is only for TCP virtual services"));
  EXPECT_EQ(refused("-a -u 10.0.0.1:53 -r 10.0.0.2:53 --fullnat --proxy-protocol v1"),
            R(2, "PROXY protocol v1 is only for TCP virtual services (v2 has a UDP form)"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol v3"),
            R(2, "illegal proxy-protocol `v3' specified (v1, v2 or none)"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --toa --no-toa"),
            R(2, "multiple 'toa' options specified"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol v1 "
                    "--proxy-protocol v2"),
            R(2, "multiple 'proxy-protocol' options specified"));
  EXPECT_EQ(refused("-A -t 10.0.0.1:80 --toa"),
            R(2, "Illegal 'toa' option with the 'add-service' command"));
  EXPECT_EQ(refused("-d -t 10.0.0.1:80 -r 10.0.0.2 --proxy-protocol v2"),
            R(2, "Illegal 'proxy-protocol' option with the 'delete-server' command"));
  EXPECT_EQ(refused("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol"),
            R(255, "--proxy-protocol: missing argument"));
}

TEST(ClientAddrCli, Request) {
  const nlohmann::json add =
      request_for(ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol v2 --toa"));
  EXPECT_EQ(add["dest"]["mode"], "fullnat");
  EXPECT_EQ(add["dest"]["proxy_protocol"], "v2");
  EXPECT_EQ(add["dest"]["toa"], true);
  const nlohmann::json off = request_for(
      ok("-e -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat --proxy-protocol none --no-toa"));
  EXPECT_EQ(off["dest"]["proxy_protocol"], "none");
  EXPECT_EQ(off["dest"]["toa"], false);
  const nlohmann::json plain = request_for(ok("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat"));
  EXPECT_FALSE(plain["dest"].contains("proxy_protocol"));
  EXPECT_FALSE(plain["dest"].contains("toa"));
}

Listing listing() {
  const auto dest = [](const char* addr, lb::ProxyProto proxy, bool toa) {
    DestRow d{.spec = {.addr = *net::parse_ip(addr),
                       .port = 8080,
                       .mode = lb::FwdMode::fullnat,
                       .weight = 2,
                       .proxy = proxy,
                       .toa = toa},
              .weight = 2};
    return d;
  };
  ServiceSpec web{.key = {.vip = *net::parse_ip("10.0.0.1"), .port = 80, .proto = 6},
                  .sched = lb::SchedKind::rr};
  Listing l{.conn_table_size = 4096};
  l.services.push_back({.spec = web,
                        .dests = {dest("10.0.0.2", lb::ProxyProto::v2, true),
                                  dest("10.0.0.3", lb::ProxyProto::v1, false),
                                  dest("10.0.0.4", lb::ProxyProto::none, true),
                                  dest("10.0.0.5", lb::ProxyProto::none, false)}});
  return l;
}

TEST(ClientAddrCli, SaveWritesThemOnTheServersLines) {
  EXPECT_EQ(render_table(listing(), {.numeric = true, .rule = true}),
            "-A -t 10.0.0.1:80 -s rr\n"
            "-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat -w 2 --proxy-protocol v2 --toa\n"
            "-a -t 10.0.0.1:80 -r 10.0.0.3:8080 --fullnat -w 2 --proxy-protocol v1\n"
            "-a -t 10.0.0.1:80 -r 10.0.0.4:8080 --fullnat -w 2 --toa\n"
            "-a -t 10.0.0.1:80 -r 10.0.0.5:8080 --fullnat -w 2\n");
  // ipvsadm's columns stay as they are.
  const std::string plain = render_table(listing(), {.numeric = true});
  EXPECT_NE(plain.find("  -> 10.0.0.2:8080                FullNat 2      0          0         \n"),
            std::string::npos)
      << plain;
}

TEST(ClientAddrCli, SaveThenRestoreGivesThemBack) {
  const Listing l = listing();
  const auto cmds = parse_restore(render_table(l, {.numeric = true, .rule = true}));
  ASSERT_TRUE(cmds.has_value()) << cmds.error().message;
  ASSERT_EQ(cmds->size(), 5u);
  for (size_t i = 0; i < 4; ++i) {
    const DestSpec& want = l.services[0].dests[i].spec;
    const DestSpec& got = (*cmds)[i + 1].dest;
    EXPECT_EQ(got.addr, want.addr);
    EXPECT_EQ(got.mode, lb::FwdMode::fullnat);
    // Off is written as nothing: not given, a runtime service's default, off.
    EXPECT_EQ(got.proxy.value_or(lb::ProxyProto::none), *want.proxy) << i;
    EXPECT_EQ(got.toa.value_or(false), *want.toa) << i;
  }
}

}  // namespace
}  // namespace gale::ctl::ipvsadm
