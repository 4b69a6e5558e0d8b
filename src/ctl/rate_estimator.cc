#include "ctl/rate_estimator.h"

namespace gale::ctl {

namespace {

// avg += (rate - avg) / 4, with the increase over 2 s scaled by 2^(shift + 1) / 2: a
// count per 2 s shifted left by 9 is a per-second rate times 2^10; by 4, times 2^5.
void smooth(int64_t& avg, uint64_t now, uint64_t& last, int shift) {
  const int64_t rate = static_cast<int64_t>((now - last) << shift);
  last = now;
  avg += (rate - avg) >> 2;  // arithmetic shift, as the kernel's s64 arithmetic
}

uint64_t read(int64_t avg, int64_t round, int shift) {
  return avg <= 0 ? 0 : static_cast<uint64_t>((avg + round) >> shift);
}

}  // namespace

void RateEstimator::sample(const Counters& now) {
  smooth(cps_, now.conns, last_.conns, 9);
  smooth(inpps_, now.in_pkts, last_.in_pkts, 9);
  smooth(outpps_, now.out_pkts, last_.out_pkts, 9);
  smooth(inbps_, now.in_bytes, last_.in_bytes, 4);
  smooth(outbps_, now.out_bytes, last_.out_bytes, 4);
}

Rates RateEstimator::rates() const {
  return {.cps = read(cps_, 0x1ff, 10),
          .inpps = read(inpps_, 0x1ff, 10),
          .outpps = read(outpps_, 0x1ff, 10),
          .inbps = read(inbps_, 0xf, 5),
          .outbps = read(outbps_, 0xf, 5)};
}

}  // namespace gale::ctl
