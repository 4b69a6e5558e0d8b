#include "io/xdp_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <vector>

#include "io/bpf/steer_maps.h"
#include "io/netdev.h"

namespace gale::io {

static_assert(GALE_STEER_MAX_PREFIXES == lb::kMaxFwmarkRules,
              "the XDP program scans every fwmark rule a snapshot may have");

namespace {

std::string err_text(int e) {
  return std::strerror(e < 0 ? -e : e);
}

[[noreturn]] void fail_on(const std::string& ifname, const std::string& what, int e) {
  throw std::runtime_error("xdp: interface " + ifname + ": " + what + ": " + err_text(e));
}

// Map keys are plain bytes (padding zeroed): ordered as such.
struct BytesLess {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return std::memcmp(&a, &b, sizeof a) < 0;
  }
};
template <typename K, typename V>
using KeyMap = std::map<K, V, BytesLess>;

// Every key of a hash map (control plane: maps hold at most tens of thousands).
template <typename Key>
std::vector<Key> keys_of(int fd) {
  std::vector<Key> out;
  Key k{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    k = next;
    prev = &k;
  }
  return out;
}

// Deletes what is not wanted, then writes what is.
template <typename Key, typename Value>
Expected<void> sync_map(int fd, const KeyMap<Key, Value>& want, const char* name) {
  for (const Key& k : keys_of<Key>(fd))
    if (!want.contains(k)) bpf_map_delete_elem(fd, &k);
  for (const auto& [k, v] : want)
    if (int rc = bpf_map_update_elem(fd, &k, &v, BPF_ANY); rc != 0)
      return fail(std::string("updating map ") + name + ": " + err_text(errno));
  return {};
}

std::string exe_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.parent_path().string();
}

uint32_t attach_flag(XdpMode m) {
  return m == XdpMode::native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

}  // namespace

const char* to_string(XdpMode m) {
  return m == XdpMode::native ? "native" : "generic";
}

std::string find_bpf_object() {
  const char* name = "steer.bpf.o";
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GALE_BPF_DIR"); env && *env) dirs.emplace_back(env);
  if (std::string d = exe_dir(); !d.empty()) {
    dirs.push_back(d);
    dirs.push_back(d + "/../lib/gale");
  }
#ifdef GALE_BPF_BUILD_DIR
  dirs.emplace_back(GALE_BPF_BUILD_DIR);
#endif
  for (const std::string& d : dirs)
    if (std::filesystem::exists(d + "/" + name)) return d + "/" + name;
  return {};
}

Expected<bool> detach_stale_program(const std::string& ifname) {
  auto idx = interface_index(ifname);
  if (!idx) return fail(idx.error().message);
  bool found = false;
  for (XdpMode m : {XdpMode::native, XdpMode::generic}) {
    uint32_t id = 0;
    if (bpf_xdp_query_id(static_cast<int>(*idx), static_cast<int>(attach_flag(m)), &id) != 0 ||
        id == 0)
      continue;
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0)
      return fail("interface " + ifname + ": XDP program id " + std::to_string(id) + ": " +
                  err_text(errno));
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    const int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
    close(fd);
    if (rc != 0)
      return fail("interface " + ifname + ": reading XDP program info: " + err_text(errno));
    if (std::strcmp(info.name, GALE_STEER_PROG_NAME) != 0)
      return fail("interface " + ifname + " already has XDP program \"" + info.name + "\" (id " +
                  std::to_string(id) + ", " + to_string(m) +
                  " mode) attached; not replacing it (ip link set " + ifname + " xdp off)");
    if (int e = bpf_xdp_detach(static_cast<int>(*idx), attach_flag(m), nullptr); e != 0)
      return fail("interface " + ifname + ": detaching a stale gale_steer program: " + err_text(e));
    found = true;
  }
  return found;
}

XdpProgram::XdpProgram(const XdpProgramConfig& cfg) : cfg_(cfg) {
  const std::string& ifn = cfg_.ifname;
  auto idx = interface_index(ifn);
  if (!idx) throw std::runtime_error("xdp: " + idx.error().message);
  ifindex_ = *idx;
  if (cfg_.enable_all_queues)
    if (auto r = enable_all_queues(ifn); !r) throw std::runtime_error("xdp: " + r.error().message);
  if (auto r = detach_stale_program(ifn); !r) throw std::runtime_error("xdp: " + r.error().message);

  std::string path = cfg_.object_path.empty() ? find_bpf_object() : cfg_.object_path;
  if (path.empty())
    throw std::runtime_error("xdp: interface " + ifn +
                             ": steer.bpf.o not found (set GALE_BPF_DIR to its directory)");
  obj_ = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj_) {
    const int e = errno;
    obj_ = nullptr;
    fail_on(ifn, "opening " + path, e);
  }
  try {
    if (int e = bpf_object__load(obj_); e != 0) fail_on(ifn, "loading " + path, e);
    bpf_program* prog = bpf_object__find_program_by_name(obj_, GALE_STEER_PROG_NAME);
    if (!prog) fail_on(ifn, path + " has no program " GALE_STEER_PROG_NAME, ENOENT);
    prog_fd_ = bpf_program__fd(prog);
    auto map_fd = [&](const char* name) {
      const int fd = bpf_object__find_map_fd_by_name(obj_, name);
      if (fd < 0) fail_on(ifn, path + " has no map " + name, ENOENT);
      return fd;
    };
    xsks_fd_ = map_fd("xsks");
    services_fd_ = map_fd("services");
    service_addrs_fd_ = map_fd("service_addrs");
    nat_fd_ = map_fd("nat_sources");
    prefixes_fd_ = map_fd("prefixes");
    laddrs_fd_ = map_fd("laddrs");
    macs_fd_ = map_fd("macs");
    stats_fd_ = map_fd("stats");

    int e = -EOPNOTSUPP;
    if (!cfg_.force_generic) {
      mode_ = XdpMode::native;
      e = bpf_xdp_attach(static_cast<int>(ifindex_), prog_fd_,
                         XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE, nullptr);
    }
    if (e != 0 && (cfg_.allow_generic || cfg_.force_generic)) {
      mode_ = XdpMode::generic;
      e = bpf_xdp_attach(static_cast<int>(ifindex_), prog_fd_,
                         XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE, nullptr);
    }
    if (e != 0) fail_on(ifn, "attaching the XDP program", e);
  } catch (...) {
    bpf_object__close(obj_);
    throw;
  }
}

XdpProgram::~XdpProgram() {
  // Detach only if the attached program is still ours (another run may have replaced
  // it); XDP_FLAGS_REPLACE makes the kernel check that again atomically.
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  uint32_t attached = 0;
  if (bpf_obj_get_info_by_fd(prog_fd_, &info, &len) == 0 &&
      bpf_xdp_query_id(static_cast<int>(ifindex_), static_cast<int>(attach_flag(mode_)),
                       &attached) == 0 &&
      attached == info.id) {
    LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd_);
    bpf_xdp_detach(static_cast<int>(ifindex_), attach_flag(mode_) | XDP_FLAGS_REPLACE, &opts);
  }
  bpf_object__close(obj_);
}

Expected<void> XdpProgram::set_owned(std::span<const lb::Endpoint> owned) {
  KeyMap<gale_endpoint_key, uint8_t> services, service_addrs, nat;
  KeyMap<gale_range_key, gale_port_range> ranges;
  std::vector<gale_prefix> prefixes;
  auto exact = [](const lb::Endpoint& e, uint16_t port) {
    gale_endpoint_key k{};
    std::memcpy(k.addr, e.addr.b.data(), 16);
    k.port = htons(port);
    k.proto = e.proto;
    k.family = e.addr.is_v4() ? 4 : 6;
    return k;
  };
  for (const lb::Endpoint& e : owned) {
    if (e.addr.family == net::Family::none || e.port_lo > e.port_hi) continue;
    switch (e.kind) {
      case lb::EndpointKind::service:
        services[exact(e, e.port_lo)] = 1;
        service_addrs[exact(e, 0)] = 1;
        break;
      case lb::EndpointKind::nat_rs:
        for (uint32_t port = e.port_lo; port <= e.port_hi; ++port)
          nat[exact(e, static_cast<uint16_t>(port))] = 1;
        break;
      case lb::EndpointKind::laddr: {
        gale_range_key k{};
        std::memcpy(k.addr, e.addr.b.data(), 16);
        k.proto = e.proto;
        k.family = e.addr.is_v4() ? 4 : 6;
        ranges[k] = gale_port_range{e.port_lo, e.port_hi};
        break;
      }
      case lb::EndpointKind::fwmark: {
        gale_prefix r{};
        std::memcpy(r.addr, e.addr.b.data(), 16);
        r.prefix_len = e.prefix_len;
        r.proto = e.proto;
        r.family = e.addr.is_v4() ? 4 : 6;
        r.port_lo = e.port_lo;
        r.port_hi = e.port_hi;
        prefixes.push_back(r);
        break;
      }
      case lb::EndpointKind::service_addr:
        break;
    }
  }
  if (services.size() > GALE_STEER_MAX_ENDPOINTS || nat.size() > GALE_STEER_MAX_ENDPOINTS)
    return fail("xdp: " + cfg_.ifname + ": more owned endpoints than the maps hold");
  if (prefixes.size() > GALE_STEER_MAX_PREFIXES)
    return fail("xdp: " + cfg_.ifname + ": more fwmark rules than the program scans (" +
                std::to_string(GALE_STEER_MAX_PREFIXES) + ")");
  // Only unlisted keys are deleted, so an endpoint in both the old and the new list is
  // never absent. The prefix array is rewritten in place from its last slot down: during
  // the update a scan may see a mix of old and new rules.
  if (auto r = sync_map(services_fd_, services, "services"); !r) return r;
  if (auto r = sync_map(service_addrs_fd_, service_addrs, "service_addrs"); !r) return r;
  if (auto r = sync_map(nat_fd_, nat, "nat_sources"); !r) return r;
  if (auto r = sync_map(laddrs_fd_, ranges, "laddrs"); !r) return r;
  prefixes.resize(GALE_STEER_MAX_PREFIXES);  // zeroed slots: family 0 ends the list
  for (uint32_t i = GALE_STEER_MAX_PREFIXES; i-- > 0;)
    if (bpf_map_update_elem(prefixes_fd_, &i, &prefixes[i], BPF_ANY) != 0)
      return fail(std::string("xdp: ") + cfg_.ifname +
                  ": updating map prefixes: " + err_text(errno));
  return {};
}

Expected<void> XdpProgram::set_macs(std::span<const net::MacAddr> macs) {
  if (macs.size() > GALE_STEER_MAX_MACS)
    return fail("xdp: " + cfg_.ifname + ": more accepted MACs than the program holds (" +
                std::to_string(GALE_STEER_MAX_MACS) + ")");
  // The end of the list moves last: a scan in between sees the old list or a longer one.
  for (uint32_t i = GALE_STEER_MAX_MACS; i-- > 0;) {
    gale_mac m{};
    if (i < macs.size()) {
      std::memcpy(m.addr, macs[i].b.data(), 6);
      m.used = 1;
    }
    if (bpf_map_update_elem(macs_fd_, &i, &m, BPF_ANY) != 0)
      return fail("xdp: " + cfg_.ifname + ": macs: " + std::strerror(errno));
  }
  return {};
}

SteerStats XdpProgram::stats() const {
  const int cpus = libbpf_num_possible_cpus();
  std::vector<uint64_t> v(static_cast<size_t>(cpus > 0 ? cpus : 1));
  uint64_t sum[GALE_STEER_STATS] = {};
  for (uint32_t k = 0; k < GALE_STEER_STATS; ++k)
    if (bpf_map_lookup_elem(stats_fd_, &k, v.data()) == 0)
      for (uint64_t x : v)
        sum[k] += x;
  return {.redirected = sum[GALE_STEER_REDIRECTED],
          .passed = sum[GALE_STEER_PASSED],
          .icmp_redirected = sum[GALE_STEER_ICMP_REDIRECTED],
          .fragment_redirected = sum[GALE_STEER_FRAGMENT_REDIRECTED]};
}

}  // namespace gale::io
