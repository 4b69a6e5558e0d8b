// What `galectl -L` / ipvsadm -L shows, as one typed aggregate: every service of the
// model with its real servers, their configured and effective state, the workers'
// counters summed per real server and per service, and IPVS-style rates. galed builds it
// (model + ctl::Stats + the rate estimator) and sends it as JSON on the control socket;
// galectl turns the JSON back into a Listing and renders it as ipvsadm's text (or prints
// the JSON for -o json); the Prometheus renderer reads the same struct. So a field is
// named once, here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/expected.h"
#include "ctl/model.h"
#include "ctl/stats.h"
#include "lb/worker.h"

namespace gale::ctl {

// Per-second rates as IPVS's estimator computes them (2 s samples, smoothed):
// connections, packets and bytes in and out.
struct Rates {
  uint64_t cps = 0;
  uint64_t inpps = 0;
  uint64_t outpps = 0;
  uint64_t inbps = 0;  // bytes per second, as ipvsadm's InBPS
  uint64_t outbps = 0;
};

// IPVS's per-object counters: ipvsadm --stats' Conns InPkts OutPkts InBytes OutBytes.
struct Counters {
  uint64_t conns = 0;
  uint64_t in_pkts = 0;
  uint64_t out_pkts = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
};

// What the health checkers did for one real server (all zero when it has no checker).
struct CheckStats {
  uint64_t checks = 0;          // checks completed (success or failure)
  uint64_t failures = 0;        // of them, failed
  uint64_t latency_us_sum = 0;  // time to a verdict, summed over `checks`
  uint32_t last_latency_us = 0;
};

struct DestRow {
  DestSpec spec;  // as configured (weight: the configured one)
  Origin origin = Origin::config;
  uint32_t weight = 0;        // effective: 0 while quiesced (inhibit_on_failure)
  bool healthy = true;        // the last health verdict
  std::string health_reason;  // why it is down ("" when up)
  uint64_t active = 0;        // ActiveConn: TCP connections established
  uint64_t inactive = 0;      // InActConn: every other tracked connection
  uint64_t persistent = 0;    // PersistConn (templates; gale keeps none: 0)
  Counters stats;
  Rates rate;
  CheckStats checks;
};

struct ServiceRow {
  ServiceSpec spec;
  Origin origin = Origin::config;
  std::string group;  // the virtual_server_group it belongs to ("" if none)
  Counters stats;     // the sum of its real servers' (including drained ones)
  Rates rate;
  std::vector<DestRow> dests;  // in the order the model holds them
};

struct Listing {
  uint64_t generation = 0;       // of the snapshot running
  uint64_t conn_table_size = 0;  // ipvsadm's "(size=N)": the flow-table capacity
  uint64_t reloads_ok = 0;       // config reloads since start
  uint64_t reloads_failed = 0;   // refused reloads (the running config stayed)
  std::vector<ServiceRow> services;
};

// One tracked connection, for -c.
struct ConnRow {
  uint8_t proto = 6;
  std::string state;       // IPVS's names: ESTABLISHED, SYN_RECV, FIN_WAIT, CLOSE, UDP, ...
  uint32_t expires_s = 0;  // seconds left
  net::IpAddr client;
  uint16_t client_port = 0;
  net::IpAddr vip;
  uint16_t vport = 0;
  net::IpAddr rs;
  uint16_t rs_port = 0;
  uint32_t fwmark = 0;
};

struct ConnListing {
  uint64_t total = 0;          // connections tracked, over every worker
  std::vector<ConnRow> conns;  // at most the limit asked for
};

nlohmann::json to_json(const Listing& l);
Expected<Listing> listing_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ConnListing& l);
Expected<ConnListing> conn_listing_from_json(const nlohmann::json& j);

// The listing of `model` with the counters of `stats` (per real server: every id of
// the same service, address and port, so connections of a server whose mode changed
// and of removed servers still draining are counted; the service: all of its ids).
// Rates, reload counts and the flow-table size are left to the caller.
Listing build_listing(const Model& model, const Stats& stats);

}  // namespace gale::ctl
