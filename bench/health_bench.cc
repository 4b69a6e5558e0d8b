// gale-health-bench: the health engine's throughput and CPU cost. N real servers at
// 127.1.x.y (every 127/8 address is local; one wildcard listener serves them all), one
// checker each with delay_loop 1 and warmup 1 (spread over the second, as keepalived's
// warmup does), run for a warm-up second and then S measured seconds:
//   gale-health-bench KIND SERVERS SECONDS PORT     KIND: tcp | http | udp
// prints one JSON line: checks/s, failures, and the engine thread's CPU share
// (pthread_getcpuclockid, the thread's own CPU clock, as getrusage(RUSAGE_THREAD)).
// bench/health runs it in a namespace with nginx and a UDP responder.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "ctl/parser.h"
#include "health/engine.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: gale-health-bench tcp|http|udp SERVERS SECONDS PORT\n");
    return 2;
  }
  const std::string kind = argv[1];
  const int servers = std::atoi(argv[2]);
  const int seconds = std::atoi(argv[3]);
  const std::string port = argv[4];
  std::string block;
  if (kind == "tcp")
    block = "TCP_CHECK {\n}\n";
  else if (kind == "http")
    block = "HTTP_GET {\nurl {\npath /\n}\n}\n";
  else if (kind == "udp")
    block = "UDP_CHECK {\npayload 6869\nrequire_reply\n}\n";
  else
    return std::fprintf(stderr, "unknown kind %s\n", kind.c_str()), 2;
  std::string text = "gale { interfaces lo }\nvirtual_server 192.0.2.1 " + port + " {\n" +
                     (kind == "udp" ? "protocol UDP\n" : "") + "delay_loop 1\n";
  for (int i = 0; i < servers; ++i) {
    text += "real_server 127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
            " " + port + " {\n" + block.substr(0, block.find('\n') + 1) +
            "warmup 1\nretry 0\nconnect_timeout 2\n" + block.substr(block.find('\n') + 1) + "}\n";
  }
  text += "}\n";
  auto config = gale::ctl::parse_config(text, "bench.conf");
  if (!config) return std::fprintf(stderr, "%s\n", config.error().message.c_str()), 1;

  std::atomic<uint64_t> failures{0};
  std::atomic<int> shown{0};
  gale::health::Engine engine([&](const gale::ctl::RealServerRef&, const gale::ctl::HealthState& s,
                                  const gale::ctl::CheckStats& d) {
    failures.fetch_add(d.failures);
    // The first few reasons, so that failures can be told from the responder's limits.
    if (!s.up && !s.reason.empty() && shown.fetch_add(1) < 3)
      std::fprintf(stderr, "gale-health-bench: %s\n", s.reason.c_str());
  });
  engine.start(*config);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // warmup 1 spreads the first round
  const uint64_t a0 = engine.attempts(), f0 = failures.load();
  const double c0 = engine.cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t a = engine.attempts() - a0, f = failures.load() - f0;
  const double cpu = engine.cpu_seconds() - c0;
  engine.stop();
  std::printf(
      "{\"kind\":\"%s\",\"servers\":%d,\"seconds\":%.2f,\"checks\":%lu,\"checks_per_s\":%.0f,"
      "\"failures\":%lu,\"engine_cpu_s\":%.3f,\"cpu_share\":%.3f}\n",
      kind.c_str(), servers, wall, static_cast<unsigned long>(a), static_cast<double>(a) / wall,
      static_cast<unsigned long>(f), cpu, cpu / wall);
  return 0;
}
