// The VRRP engine: every vrrp_instance on one thread of its own (so that a busy daemon
// loop or a slow rebuild never delays an advertisement), each instance's VIPs added or
// removed and announced on that thread the moment its state changes; the owner hears of
// each change through a callback (on the engine's thread: post it on).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ha/vip.h"
#include "ha/vrrp_instance.h"

namespace gale::ha {

struct EngineInstance {
  VrrpInstanceConfig vrrp;
  std::vector<Vip> vips;               // virtual_ipaddress and _excluded, added as MASTER
  int garp_repeat = 5;                 // gratuitous ARPs per VIP on becoming MASTER
  Micros garp_master_delay = 5000000;  // and again this long after (0: not again)
};

struct InstanceStatus {
  std::string name;
  VrrpState state = VrrpState::init;
  VrrpCounters counters;
};

class Engine {
 public:
  // Called on the engine thread: instance name, new state, and an error from the VIP
  // or ARP work ("" when all went well).
  using OnChange = std::function<void(const std::string&, VrrpState, const std::string&)>;

  // Called on the engine thread when an instance is about to become MASTER, before its
  // VIPs are added and announced (connection sync settles there: ha/conn_sync.h).
  using BeforeMaster = std::function<void(const std::string&)>;

  explicit Engine(OnChange on_change, BeforeMaster before_master = {});
  ~Engine();  // stops (priority 0 for every MASTER, VIPs removed)

  // Opens every instance's socket and starts the thread; an error names the instance.
  Expected<void> start(std::vector<EngineInstance> instances);
  void stop();
  std::vector<InstanceStatus> status() const;

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace gale::ha
