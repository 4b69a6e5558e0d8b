// Every class of config error, with its exact "file:line:col: message".
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "ctl/parser.h"

namespace gale::ctl {
namespace {

struct Case {
  const char* name;
  std::string text;
  std::string message;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// Line 1 of most cases: a valid gale block.
const std::string G = "gale { interfaces eth0 }\n";

std::string vs(const std::string& body) {
  return G + "virtual_server 192.0.2.1 80 {\n" + body + "}\n";
}

class ConfigErrors : public ::testing::TestWithParam<Case> {};

TEST_P(ConfigErrors, ExactMessage) {
  const Case& c = GetParam();
  auto r = parse_config(c.text, "gale.conf");
  ASSERT_FALSE(r.has_value()) << "accepted:\n" << c.text;
  EXPECT_EQ(r.error().message, c.message);
}

const Case kCases[] = {
    // Suggestions from the words known in that context.
    {"UnknownAlgo", vs("  lb_algo wrrr\n"),
     "gale.conf:3:11: unknown lb_algo \"wrrr\" (did you mean \"wrr\"?)"},
    {"UnknownAlgoLvsSched", vs("  lvs_sched wlcc\n"),
     "gale.conf:3:13: unknown lvs_sched \"wlcc\" (did you mean \"wlc\"?)"},
    {"UnknownAlgoNoSuggestion", vs("  lb_algo fastest\n"),
     "gale.conf:3:11: unknown lb_algo \"fastest\" (one of: rr wrr lc wlc sh dh mh sed nq fo ovf "
     "lblc lblcr twos)"},
    {"UnknownKind", vs("  lb_kind DRR\n"),
     "gale.conf:3:11: unknown lb_kind \"DRR\" (did you mean \"DR\"?)"},
    {"MisspelledKeyword", vs("  real_server 10.0.0.1 80 {\n    wieght 3\n  }\n"),
     "gale.conf:4:5: unknown keyword \"wieght\" in real_server (did you mean \"weight\"?)"},
    {"UnknownTopLevel", G + "virtual_sever 192.0.2.1 80 {\n}\n",
     "gale.conf:2:1: unknown keyword \"virtual_sever\" in the top level (did you mean "
     "\"virtual_server\"?)"},
    {"UnknownNoSuggestion", vs("  frobnicate\n"),
     "gale.conf:3:3: unknown keyword \"frobnicate\" in virtual_server"},
    {"UnknownGaleKeyword", "gale {\n  interfaces eth0\n  worker 2\n}\n",
     "gale.conf:3:3: unknown keyword \"worker\" in gale (did you mean \"workers\"?)"},
    {"UnknownIo", "gale {\n  interfaces eth0\n  io af_xpd\n}\n",
     "gale.conf:3:6: unknown io \"af_xpd\" (did you mean \"af_xdp\"?)"},
    // Braces.
    {"MissingClose", G + "virtual_server 192.0.2.1 80 {\n  lb_algo rr\n",
     "gale.conf:2:29: the block of \"virtual_server\" opened here is never closed (missing "
     "\"}\")"},
    {"StrayClose", G + "}\n", "gale.conf:2:1: unexpected \"}\": no block is open here"},
    {"OrphanOpen", G + "{\n}\n",
     "gale.conf:2:1: unexpected \"{\": a block must follow a keyword on the line before it"},
    {"UnterminatedQuote", G + "vrrp_script s {\n  script \"/bin/true\n}\n",
     "gale.conf:3:10: unterminated quoted string (add the closing \")"},
    // Shapes.
    {"BlockWhereValue", vs("  real_server 10.0.0.1 80 {\n    weight {\n      3\n    }\n  }\n"),
     "gale.conf:4:12: \"weight\" takes a value, not a block (weight N)"},
    {"MissingValue", vs("  lb_algo\n"),
     "gale.conf:3:3: \"lb_algo\" needs a value (lb_algo "
     "rr|wrr|lc|wlc|sh|dh|mh|...)"},
    {"ExtraValue", vs("  delay_loop 5 6\n"),
     "gale.conf:3:16: unexpected \"6\" after \"delay_loop\" (delay_loop SECONDS)"},
    // keepalived's flags take an optional boolean word (alpha, alpha yes, alpha off).
    {"NotABooleanOnFlag", vs("  alpha maybe\n"),
     "gale.conf:3:9: unknown alpha \"maybe\" (one of: true on yes false off no)"},
    {"NoBlock", vs("  real_server 10.0.0.1 80 {\n    TCP_CHECK\n  }\n"),
     "gale.conf:4:5: \"TCP_CHECK\" needs a { } block (TCP_CHECK { ... })"},
    // Numbers.
    {"WeightOutOfRange", vs("  real_server 10.0.0.1 80 {\n    weight 70000\n  }\n"),
     "gale.conf:4:12: weight 70000 is out of range 0-65535"},
    {"PortOutOfRange", G + "virtual_server 192.0.2.1 65536 {\n}\n",
     "gale.conf:2:26: virtual_server port 65536 is out of range 1-65535"},
    {"PortZero", vs("  real_server 10.0.0.1 0\n"),
     "gale.conf:3:24: real_server port 0 is out of range 1-65535"},
    {"NotANumber", vs("  real_server 10.0.0.1 80 {\n    weight 1;\n  }\n"),
     "gale.conf:4:12: weight must be a number in 0-65535, not \"1;\""},
    {"HugeNumber", vs("  quorum 99999999999999999999999\n"),
     "gale.conf:3:10: quorum 99999999999999999999999 is out of range 0-4294967295"},
    {"BadDuration", vs("  delay_loop 1.2.3\n"),
     "gale.conf:3:14: delay_loop must be seconds (like 3 or 0.5), not \"1.2.3\""},
    {"NotPrime", "gale {\n  interfaces eth0\n  maglev_size 65536\n}\n",
     "gale.conf:3:15: maglev_size 65536 is not prime (try 65537 or 655373)"},
    // Addresses.
    {"BadVip", G + "virtual_server 192.0.2.300 80 {\n}\n",
     "gale.conf:2:16: bad virtual_server address \"192.0.2.300\" (expected an IPv4 or IPv6 "
     "address like 192.0.2.1 or 2001:db8::1)"},
    {"BadRealServer", vs("  real_server 10.0.0 80\n"),
     "gale.conf:3:15: bad real_server address \"10.0.0\" (expected an IPv4 or IPv6 address like "
     "192.0.2.1 or 2001:db8::1)"},
    {"BadMatchPrefix", "gale {\n  interfaces eth0\n  fwmark 1 { match tcp 10.0.0.1/24 }\n}\n",
     "gale.conf:3:24: match prefix \"10.0.0.1/24\" has host bits set (the network is written "
     "with them zero)"},
    {"BadMetricsListen", "gale {\n  interfaces eth0\n  metrics_listen localhost:9469\n}\n",
     "gale.conf:3:18: bad metrics_listen \"localhost:9469\" (ADDRESS:PORT like 127.0.0.1:9469 "
     "or [::1]:9469)"},
    {"BadNetmask", vs("  persistence_granularity 255.0.255.0\n"),
     "gale.conf:3:27: persistence_granularity \"255.0.255.0\" is not a contiguous netmask (like "
     "255.255.255.0)"},
    // Duplicates.
    {"DuplicateRealServer",
     vs("  real_server 10.0.0.1 80 {\n  }\n  real_server 10.0.0.1 80 {\n  }\n"),
     "gale.conf:5:3: duplicate real_server 10.0.0.1 80 (first at gale.conf:3:3)"},
    {"DuplicateVirtualServer", vs("") + "virtual_server 192.0.2.1 80 {\n}\n",
     "gale.conf:4:1: virtual_server 192.0.2.1 80 TCP is defined twice (first at gale.conf:2:1)"},
    {"SecondGaleBlock", G + "gale { interfaces eth1 }\n",
     "gale.conf:2:1: a second gale block (the first is at gale.conf:1:1); merge them"},
    // Validation after parsing.
    {"NoGaleBlock", "virtual_server 192.0.2.1 80 {\n}\n",
     "gale.conf: no gale { } block and no interface to derive one from (no vrrp_instance names "
     "an interface): write gale { interfaces IFNAME ... } (the first faces clients)"},
    {"NoInterfaces", "gale {\n  workers 2\n}\n",
     "gale.conf:1:1: the gale block needs `interfaces IFNAME ...` (the first faces clients)"},
    {"NatFamily", vs("  lb_kind NAT\n  real_server 2001:db8::1 80\n"),
     "gale.conf:4:3: real_server 2001:db8::1 80: NAT needs the real server in the VIP's address "
     "family (192.0.2.1); use DR or TUN to mix families"},
    {"DrPortChange", vs("  lb_kind DR\n  real_server 10.0.0.1 8080\n"),
     "gale.conf:4:3: real_server 10.0.0.1 8080: DR cannot change the port (the server receives "
     "the VIP's port 80); write 80 or use NAT"},
    {"FullNatNoLocalAddress", vs("  lb_kind FULLNAT\n  real_server 10.0.0.1 8080\n"),
     "gale.conf:4:3: real_server 10.0.0.1 8080: FULLNAT needs a local address of its family "
     "(gale { fullnat_local_addresses ... })"},
    {"FwmarkNatWithoutPort",
     "gale {\n  interfaces eth0\n  fwmark 5 {\n    match tcp 192.0.2.0/24 ports 1-2000\n  }\n}\n"
     "virtual_server fwmark 5 {\n  lb_kind NAT\n  real_server 10.0.0.1\n}\n",
     "gale.conf:9:3: real_server 10.0.0.1: NAT needs the real server's port here, or fwmark 5's "
     "match (gale.conf:4:5) to span at most 1025 ports per range"},
    {"TunNoSource", vs("  lb_kind TUN\n  real_server 10.0.0.1 80\n"),
     "gale.conf:4:3: real_server 10.0.0.1 80: TUN needs gale { tunnel_source IPV4 }"},
    {"FwmarkRuleWithoutService",
     "gale {\n  interfaces eth0\n  fwmark 5 {\n    match 192.0.2.0/24\n  }\n}\n",
     "gale.conf:4:5: gale fwmark 5 has no virtual_server fwmark 5"},
    {"UnknownGroup",
     G + "virtual_server_group web {\n  192.0.2.1 80\n}\nvirtual_server group wbe {\n}\n",
     "gale.conf:5:1: virtual_server group \"wbe\": no virtual_server_group of that name (did you "
     "mean \"web\"?)"},
    {"ShFlagWithoutSh", vs("  lb_algo rr\n  sh-port\n"),
     "gale.conf:2:1: sh-port and sh-fallback apply to lb_algo sh only"},
    {"ThresholdsInverted",
     vs("  real_server 10.0.0.1 80 {\n    uthreshold 10\n    lthreshold 20\n  }\n"),
     "gale.conf:3:3: lthreshold 20 is above uthreshold 10"},
    {"VrrpMissingScript",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_script {\n    chk\n "
         " }\n}\n",
     "gale.conf:2:1: vrrp_instance \"VI\" tracks \"chk\": no vrrp_script of that name"},
    {"VrrpNoRouterId", G + "vrrp_instance VI {\n  interface eth0\n}\n",
     "gale.conf:2:1: vrrp_instance \"VI\" needs a virtual_router_id (1-255)"},
    {"VrrpBadState", G + "vrrp_instance VI {\n  state MASTR\n}\n",
     "gale.conf:3:9: unknown state \"MASTR\" (did you mean \"MASTER\"?)"},
    {"VrrpSubSecondV2",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  advert_int 0.5\n}\n",
     "gale.conf:2:1: vrrp_instance \"VI\": VRRP version 2 adverts whole seconds; use version 3 "
     "for an advert_int below one second"},
    {"VrrpScriptWeightOutOfRange", G + "vrrp_script chk {\n  script /bin/true\n  weight 300\n}\n",
     "gale.conf:4:10: weight 300 is out of range -253 to 253"},
    {"VrrpScriptWeightBadWord",
     G + "vrrp_script chk {\n  script /bin/true\n  weight 10 backwards\n}\n",
     "gale.conf:4:13: unknown \"backwards\" after the weight (weight -253..253 [reverse])"},
    {"GarpRepeatZero",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  garp_master_repeat 0\n}\n",
     "gale.conf:5:22: garp_master_repeat 0 is out of range 1-255"},
    {"SyncDaemonNoInstance",
     G + "global_defs {\n  lvs_sync_daemon eth1 VI_2\n}\n"
         "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n}\n",
     "gale.conf:3:3: lvs_sync_daemon names \"VI_2\": no vrrp_instance of that name (did you "
     "mean \"VI_1\"?)"},
    {"SyncDaemonUnknownOption", G + "global_defs {\n  lvs_sync_daemon eth1 VI_1 maxlne 1400\n}\n",
     "gale.conf:3:29: unknown lvs_sync_daemon option \"maxlne\" (did you mean \"maxlen\"?)"},
    {"SyncDaemonGroupNotMulticast",
     G + "global_defs {\n  lvs_sync_daemon eth1 VI_1 group 10.0.0.1\n}\n",
     "gale.conf:3:35: lvs_sync_daemon group must be a multicast address (224.0.0.0/4 or "
     "ff00::/8)"},
    {"SyncDaemonGroupNotMulticastV6",
     G + "global_defs {\n  lvs_sync_daemon eth1 VI_1 group 2001:db8::1\n}\n",
     "gale.conf:3:35: lvs_sync_daemon group must be a multicast address (224.0.0.0/4 or "
     "ff00::/8)"},
    // Sync takes its instance's family: a group of the other family is refused, and
    // an IPv6 instance that multicasts must name its group (IPVS's default is IPv4).
    {"SyncDaemonIpv6GroupForIpv4Instance",
     G + "global_defs {\n  lvs_sync_daemon eth1 VI_1 group ff02::81\n}\n"
         "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
         "  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n",
     "gale.conf:3:35: lvs_sync_daemon group ff02::81 is IPv6 but vrrp_instance \"VI_1\" is "
     "IPv4"},
    {"SyncDaemonIpv4GroupForIpv6Instance",
     G + "global_defs {\n  lvs_sync_daemon eth1 VI_6 group 239.1.2.3\n}\n"
         "vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 1\n"
         "  virtual_ipaddress {\n    2001:db8::1\n  }\n}\n",
     "gale.conf:3:35: lvs_sync_daemon group 239.1.2.3 is IPv4 but vrrp_instance \"VI_6\" is "
     "IPv6"},
    {"SyncDaemonIpv6MulticastWithoutGroup",
     G + "global_defs {\n  lvs_sync_daemon eth1 VI_6\n}\n"
         "vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 1\n"
         "  virtual_ipaddress {\n    2001:db8::1\n  }\n}\n",
     "gale.conf:3:3: lvs_sync_daemon: vrrp_instance \"VI_6\" is IPv6 and multicast: write an "
     "IPv6 `group` (there is no IPv6 default)"},
    {"SyncDaemonMaxlenTooSmall", G + "global_defs {\n  lvs_sync_daemon eth1 VI_1 maxlen 64\n}\n",
     "gale.conf:3:36: lvs_sync_daemon maxlen 64 is out of range 124-65507"},
    {"VrrpScriptRiseZero", G + "vrrp_script chk {\n  script /bin/true\n  rise 0\n}\n",
     "gale.conf:4:8: rise 0 is out of range 1-1000"},
    {"TrackScriptWeightOutOfRange",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_script {\n"
         "    chk weight -254\n  }\n}\n",
     "gale.conf:6:16: weight -254 is out of range -253 to 253"},
    {"TrackInterfaceNoWeightWord",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_interface {\n"
         "    eth1 20\n  }\n}\n",
     "gale.conf:6:10: expected NAME [weight -253..253 [reverse]] in track_interface"},
    {"TrackInterfaceBadReverse",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_interface {\n"
         "    eth1 weight 20 revers\n  }\n}\n",
     "gale.conf:6:20: unknown \"revers\" after the weight (reverse or noreverse)"},
    {"TrackFileUndefined",
     G + "track_file ready {\n  file /tmp/ready\n}\n"
         "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_file {\n"
         "    redy weight 2\n  }\n}\n",
     "gale.conf:9:5: vrrp_instance \"VI\" tracks \"redy\": no track_file of that name (did you "
     "mean \"ready\"?)"},
    {"TrackProcessUndefined",
     G + "vrrp_sync_group G {\n  group {\n    VI\n  }\n  track_process {\n    nginx\n  }\n}\n"
         "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n}\n",
     "gale.conf:7:5: vrrp_sync_group \"G\" tracks \"nginx\": no vrrp_track_process of that name "
     "(define it at the top level: vrrp_track_process NAME { ... })"},
    {"TrackFileNoPath", G + "track_file f {\n  weight 2\n}\n",
     "gale.conf:2:1: track_file \"f\" needs a file PATH"},
    {"TrackFileWeightOutOfRange", G + "vrrp_track_file f {\n  file /tmp/f\n  weight 255\n}\n",
     "gale.conf:4:10: weight 255 is out of range -254 to 254"},
    {"TrackFileInitBadWord", G + "track_file f {\n  file /tmp/f\n  init_file 5 overwrit\n}\n",
     "gale.conf:4:15: unknown init_file option \"overwrit\" (init_file [VALUE] [overwrite])"},
    {"TrackProcessNoProcess", G + "vrrp_track_process p {\n  quorum 2\n}\n",
     "gale.conf:2:1: vrrp_track_process \"p\" needs a process NAME [ARGS...]"},
    {"TrackProcessQuorumMaxBelow",
     G + "vrrp_track_process p {\n  process nginx\n  quorum 3\n  quorum_max 2\n}\n",
     "gale.conf:2:1: vrrp_track_process \"p\": quorum_max 2 is below quorum 3"},
    {"TrackProcessBadParamMatch",
     G + "vrrp_track_process p {\n  process nginx -g\n  param_match parital\n}\n",
     "gale.conf:4:15: unknown param_match \"parital\" (did you mean \"partial\"?)"},
    {"NotifyFifoTwice",
     G + "global_defs {\n  notify_fifo /run/a.fifo\n  notify_fifo /run/b.fifo\n}\n",
     "gale.conf:4:15: notify_fifo is already set (at gale.conf:3:15)"},
    {"SyncGroupUnknownInstance",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n}\n"
         "vrrp_sync_group G {\n  group {\n    V1\n  }\n}\n",
     "gale.conf:6:1: vrrp_sync_group \"G\" names \"V1\": no vrrp_instance of that name (did you "
     "mean \"VI\"?)"},
    {"VirtualRouteTypo",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  virtual_routes {\n"
         "    10.9.0.0/16 vai 10.0.0.1\n  }\n}\n",
     "gale.conf:6:17: unknown virtual_routes option \"vai\" (did you mean \"via\"?)"},
    {"VirtualRouteHostBits",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  virtual_routes {\n"
         "    10.9.0.1/16 via 10.0.0.1\n  }\n}\n",
     "gale.conf:6:5: virtual_routes destination \"10.9.0.1/16\" has host bits set (the network "
     "is written with them zero)"},
    {"VirtualRouteFamilies",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  virtual_routes {\n"
         "    2001:db8::/32 via 10.0.0.1\n  }\n}\n",
     "gale.conf:6:5: virtual_routes: 10.0.0.1 is not of the destination's address family"},
    {"SyncGroupTwice",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n}\n"
         "vrrp_sync_group A {\n  group {\n    VI\n  }\n}\n"
         "vrrp_sync_group B {\n  group {\n    VI\n  }\n}\n",
     "gale.conf:11:1: vrrp_sync_group \"B\" names \"VI\", already in vrrp_sync_group \"A\" (at "
     "gale.conf:6:1)"},
    {"VmacNameTooLong",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n"
         "  use_vmac vrrp_name_too_long\n}\n",
     "gale.conf:5:12: use_vmac: \"vrrp_name_too_long\" is not an interface name (1 to 15 "
     "characters, no '/', ':' or space)"},
    {"VmacPrefixTooLong", "global_defs {\n  vmac_prefix twelve_chars\n}\n" + G,
     "gale.conf:2:15: vmac_prefix: at most 11 characters, no '/', ':' or space (PREFIX.VRID "
     "names an interface)"},
    {"VmacTwice",
     G + "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  use_vmac vm\n}\n"
         "vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n  use_vmac vm\n}\n",
     "gale.conf:10:3: vrrp_instance \"B\": VMAC vm is already \"A\"'s (at gale.conf:5:3); name "
     "another with use_vmac NAME"},
    {"VmacIsAnInterface",
     G + "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  use_vmac eth0\n}\n",
     "gale.conf:5:3: vrrp_instance \"A\": its VMAC eth0 is the interface of \"A\" (at "
     "gale.conf:2:1); name another with use_vmac NAME"},
    {"McastGroup4NotMulticast", "global_defs {\n  vrrp_mcast_group4 192.0.2.1\n}\n" + G,
     "gale.conf:2:21: vrrp_mcast_group4 192.0.2.1 is not a multicast address (VRRP's: "
     "224.0.0.18, ff02::12)"},
    {"McastGroup4IsIpv6", "global_defs {\n  vrrp_mcast_group4 ff02::12\n}\n" + G,
     "gale.conf:2:21: vrrp_mcast_group4 ff02::12 is not IPv4"},
    {"McastDstNotLinkLocal",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n"
         "  mcast_dst_ip ff05::12\n}\n",
     "gale.conf:5:16: mcast_dst_ip ff05::12 is not link-local multicast (ff02::/16), as "
     "keepalived requires"},
    {"GarpIntervalBad", "global_defs {\n  vrrp_garp_interval soon\n}\n" + G,
     "gale.conf:2:22: vrrp_garp_interval must be seconds (like 3 or 0.5), not \"soon\""},
    {"DownTimerAdvertsRange",
     G + "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n"
         "  down_timer_adverts 101\n}\n",
     "gale.conf:5:22: down_timer_adverts 101 is out of range 1-100"},
    {"VrrpRtPriorityRange", "global_defs {\n  vrrp_rt_priority 100\n}\n" + G,
     "gale.conf:2:20: vrrp_rt_priority 100 is out of range 1-99"},
    {"VrrpNiceRange", "global_defs {\n  vrrp_priority 20\n}\n" + G,
     "gale.conf:2:17: vrrp_priority 20 is out of range -20 to 19"},
    {"HttpGetWithoutUrl", vs("  real_server 10.0.0.1 80 {\n    HTTP_GET {\n    }\n  }\n"),
     "gale.conf:4:5: HTTP_GET needs at least one url { path /; status_code 200 }"},
    {"UnknownTimeout", "gale {\n  interfaces eth0\n  timeout tcp 900 tcpfn 60\n}\n",
     "gale.conf:3:19: unknown timeout \"tcpfn\" (did you mean \"tcpfin\"?) (timeout tcp SECONDS "
     "tcpfin SECONDS udp SECONDS)"},
};

INSTANTIATE_TEST_SUITE_P(All, ConfigErrors, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gale::ctl
