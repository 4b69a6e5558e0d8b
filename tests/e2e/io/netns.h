// e2e test support: a pair of network namespaces joined by a veth, named after the test
// PID so that parallel runs never collide, and always deleted (RAII, also when an
// assertion fails). Traffic stays between these two namespaces.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace gale::e2e {

// Runs a shell command quietly; its exit status.
inline int sh(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Runs a shell command; its stdout.
inline std::string out(const std::string& cmd) {
  std::string s;
  if (FILE* f = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, f))
      s.append(buf, n);
    pclose(f);
  }
  return s;
}

// Polls `cond` until it holds or `timeout` passes.
template <typename F>
bool eventually(F cond, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Namespaces a (the dataplane's) and b (the peer), veth va <-> vb,
// addresses 10.199.N.1/24 (a) and 10.199.N.2/24 (b).
struct Topology {
  std::string ns_a, ns_b, va, vb, ip_a, ip_b;

  Topology() {
    static int seq = 0;
    const std::string id = std::to_string(getpid()) + "x" + std::to_string(seq++);
    ns_a = "gio" + id + "a";
    ns_b = "gio" + id + "b";
    va = "va" + id;
    vb = "vb" + id;
    const std::string net = "10.199." + std::to_string((getpid() + seq) % 250) + ".";
    ip_a = net + "1";
    ip_b = net + "2";
    // veth with two queues each way, as MACHINE-NOTES describes (one active by default).
    const std::string cmds[] = {
        "ip netns add " + ns_a,
        "ip netns add " + ns_b,
        "ip -n " + ns_a + " link add " + va + " numtxqueues 2 numrxqueues 2 type veth peer name " +
            vb + " netns " + ns_b + " numtxqueues 2 numrxqueues 2",
        "ip -n " + ns_a + " addr add " + ip_a + "/24 dev " + va,
        "ip -n " + ns_b + " addr add " + ip_b + "/24 dev " + vb,
        "ip -n " + ns_a + " link set " + va + " up",
        "ip -n " + ns_b + " link set " + vb + " up",
        "ip -n " + ns_a + " link set lo up",
        "ip -n " + ns_b + " link set lo up",
        // The sender leaves TCP/UDP checksums partial on veth (offloaded to a NIC that
        // is not there); a frame the dataplane takes off the wire and sends back as is
        // would then arrive with a bad checksum. Real NICs deliver complete checksums,
        // so the peer computes them in software (MACHINE-NOTES.md, checksums).
        "ip netns exec " + ns_b + " ethtool -K " + vb + " tx off",
        "ip netns exec " + ns_a + " ethtool -K " + va + " tx off",
    };
    for (const std::string& c : cmds)
      if (sh(c) != 0) {
        cleanup();
        throw std::runtime_error("topology setup failed: " + c);
      }
  }
  ~Topology() { cleanup(); }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  void cleanup() {
    // Deleting a namespace deletes the veth in it (and its peer).
    sh("ip -n " + ns_a + " link del " + va);
    sh("ip netns del " + ns_a);
    sh("ip netns del " + ns_b);
  }
  std::string in_a(const std::string& cmd) const { return "ip netns exec " + ns_a + " " + cmd; }
  std::string in_b(const std::string& cmd) const { return "ip netns exec " + ns_b + " " + cmd; }
};

// Moves the calling thread into a namespace for its lifetime (sockets keep theirs).
class InNetns {
 public:
  explicit InNetns(const std::string& ns) {
    self_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (self_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
      if (target >= 0) close(target);
      throw std::runtime_error("cannot enter namespace " + ns);
    }
    close(target);
  }
  ~InNetns() {
    setns(self_, CLONE_NEWNET);
    close(self_);
  }
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int self_ = -1;
};

}  // namespace gale::e2e
