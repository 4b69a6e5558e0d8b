// gale-udpgen: a paced UDP load source for bench/compare.sh (issue 10, "Side by side").
//
//   gale-udpgen --dst IP:PORT --rate PPS --seconds S [--flows N] [--payload BYTES]
//
// Sends datagrams to one destination at a target rate for S seconds and prints one JSON
// line: {"target_pps":..,"seconds":..,"sent":..,"errors":..,"pps":..}. The receivers'
// count is taken elsewhere (the servers' kernel counters): this program only says what
// it put on the wire, so loss = 1 - received / sent.
//
// Several connected sockets (--flows, default 16) give several source ports, so a load
// balancer sees several flows to spread. Each sendmmsg sends up to 64 datagrams on one
// socket, the next batch on the next. Pacing: before each batch, the datagrams due by
// now (rate x elapsed) minus those sent; when none are due it sleeps 20 us. Beyond what
// one core can send it never sleeps, and "pps" says what it reached (the ceiling).
// The default payload, 18 bytes, makes a 64-byte Ethernet frame (14 + 20 + 8 + 18 + FCS).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kBatch = 64;

struct Options {
  sockaddr_in dst{};
  double rate = 0;     // datagrams per second
  double seconds = 1;  // how long to send
  int flows = 16;      // sockets, one source port each
  int payload = 18;    // UDP payload bytes
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "gale-udpgen: %s\nusage: gale-udpgen --dst IP:PORT --rate PPS --seconds S "
               "[--flows N] [--payload BYTES]\n",
               why);
  std::exit(2);
}

bool parse_endpoint(const std::string& text, sockaddr_in& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  out.sin_family = AF_INET;
  const int port = std::atoi(text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return false;
  out.sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, text.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

Options parse(int argc, char** argv) {
  Options o;
  bool have_dst = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
    const char* value = argv[++i];
    if (arg == "--dst") {
      if (!parse_endpoint(value, o.dst)) usage("--dst wants IPv4:PORT");
      have_dst = true;
    } else if (arg == "--rate") {
      o.rate = std::atof(value);
    } else if (arg == "--seconds") {
      o.seconds = std::atof(value);
    } else if (arg == "--flows") {
      o.flows = std::atoi(value);
    } else if (arg == "--payload") {
      o.payload = std::atoi(value);
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  if (!have_dst) usage("--dst is required");
  if (o.rate <= 0 || o.seconds <= 0) usage("--rate and --seconds must be positive");
  if (o.flows < 1 || o.flows > 1024) usage("--flows must be 1..1024");
  if (o.payload < 0 || o.payload > 1472) usage("--payload must be 0..1472");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);

  std::vector<int> socks;
  for (int i = 0; i < o.flows; ++i) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&o.dst), sizeof o.dst) != 0) {
      std::fprintf(stderr, "gale-udpgen: socket/connect: %s\n", std::strerror(errno));
      return 1;
    }
    socks.push_back(fd);
  }

  // Every datagram of a batch points at the same payload: the content does not matter.
  std::vector<char> payload(static_cast<size_t>(o.payload), 'x');
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {.iov_base = payload.data(), .iov_len = payload.size()};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration<double>(o.seconds);
  uint64_t sent = 0, errors = 0;
  size_t next = 0;
  for (auto now = start; now < stop; now = Clock::now()) {
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const auto due = static_cast<uint64_t>(o.rate * elapsed) + 1;
    if (due <= sent) {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
      continue;
    }
    const auto n = static_cast<unsigned>(std::min<uint64_t>(due - sent, kBatch));
    const int r = sendmmsg(socks[next], msgs.data(), n, 0);
    next = (next + 1) % socks.size();
    if (r > 0) {
      sent += static_cast<uint64_t>(r);
    } else {
      ++errors;  // ENOBUFS and the like: counted, and the pacing moves on
    }
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"target_pps\":%.0f,\"seconds\":%.3f,\"sent\":%llu,\"errors\":%llu,\"pps\":%.0f}\n",
              o.rate, took, static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(errors), static_cast<double>(sent) / took);
  for (int fd : socks)
    close(fd);
  return 0;
}
