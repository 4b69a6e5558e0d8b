// One attempt of one checker against one real server, as a small state machine the engine
// drives: start() opens what it needs and says which fd and events to wait for,
// on_ready() advances on each event, until a Verdict. The engine owns the deadline
// (connect_timeout, misc_timeout): when it passes it asks on_timeout() and destroys the
// probe, whose destructor closes everything -- so no probe ever blocks the engine thread.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "health/plan.h"

namespace gale::health {

struct Verdict {
  bool up = false;
  std::string reason;              // why it failed ("" when up)
  std::optional<uint32_t> weight;  // MISC_CHECK misc_dynamic: exit code - 2
};

// What a probe asks of the engine: wait for `events` on `fd`, or take the verdict.
struct Step {
  int fd = -1;
  uint32_t events = 0;
  std::optional<Verdict> done;
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual Step start() = 0;
  virtual Step on_ready(uint32_t events) = 0;
  // The deadline passed with no verdict (UDP_CHECK without require_reply: up).
  virtual Verdict on_timeout() { return {.up = false, .reason = "timed out"}; }
};

// What probes share with the engine.
struct ProbeContext {
  SSL_CTX* tls = nullptr;                // SSL_GET's client context
  std::function<void(int pidfd)> adopt;  // reap a child the probe gave up on
};

std::unique_ptr<Probe> make_probe(const PlannedCheck& check, ProbeContext& ctx);

// Helpers shared by the probe implementations.
namespace detail {
Step done(bool up, std::string reason = {});
// A non-blocking socket bound as bindto/bind_port say and connecting to the check's
// address: {fd, 0} connected, {fd, EINPROGRESS}, or {-1, errno}.
std::pair<int, int> open_connect(const PlannedCheck& c, int type);
std::string errno_text(const PlannedCheck& c, const char* what, int err);
void close_reset(int fd);  // close with RST: a checker leaves no TIME_WAIT behind
std::unique_ptr<Probe> make_http_probe(const PlannedCheck& c, SSL_CTX* tls);
}  // namespace detail

}  // namespace gale::health
