// IPVS's rate estimator (net/netfilter/ipvs/ip_vs_est.c), for ipvsadm --rate's CPS,
// InPPS, OutPPS, InBPS, OutBPS: every 2 s the counters' increase becomes a per-second
// rate, kept scaled (connections and packets by 2^10, bytes by 2^5) and smoothed with
// weight 1/4 (avg += (rate - avg) / 4), and read back rounded as IPVS rounds. Pure: the
// caller samples it every 2 s.
#pragma once

#include <cstdint>

#include "ctl/listing.h"

namespace gale::ctl {

class RateEstimator {
 public:
  // The interval IPVS samples at; rates assume it.
  static constexpr int kIntervalS = 2;

  // Starts from the counters as they are now (as ip_vs_start_estimator).
  explicit RateEstimator(const Counters& now = {}) : last_(now) {}
  // One sample, kIntervalS after the previous one.
  void sample(const Counters& now);
  // The smoothed per-second rates (ip_vs_read_estimator).
  Rates rates() const;
  // Counters zeroed (ipvsadm -Z): rates restart from zero at `now`.
  void reset(const Counters& now) { *this = RateEstimator(now); }

 private:
  Counters last_;
  // Scaled averages: cps, inpps, outpps by 2^10; inbps, outbps by 2^5.
  int64_t cps_ = 0, inpps_ = 0, outpps_ = 0, inbps_ = 0, outbps_ = 0;
};

}  // namespace gale::ctl
