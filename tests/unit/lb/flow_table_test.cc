// The flow table's index: `reach` (how far a home bucket's keys spilled) shrinks back
// when the spilled keys leave, so a table under churn does not keep ever longer lookups.
#include <gtest/gtest.h>

#include <vector>

#include "lb/flow_table.h"

namespace gale::lb {
namespace {

FlowKeyV4 key(uint32_t i) {
  return FlowKeyV4{.src = 0xc6336407,
                   .dst = 0xc000020a,
                   .sport = static_cast<uint16_t>(i),
                   .dport = 80,
                   .proto = 6};
}

TEST(FlowTableIndex, ReachShrinksWhenSpilledKeysLeave) {
  FlowTable<FlowKeyV4> t(64, 0x5eed);
  std::vector<std::pair<uint64_t, uint32_t>> in;  // (hash, ref)
  // Far more keys than one bucket holds, so that some spill; insert fails only when
  // every bucket within kMaxReach is full.
  for (uint32_t i = 0; i < 4000 && in.size() < 120; ++i) {
    const uint64_t h = t.hash(key(i));
    if (t.insert(h, i)) in.push_back({h, i});
  }
  uint32_t spilled = 0;
  for (uint32_t b = 0; b < t.buckets(); ++b)
    spilled += t.bucket(b).reach;
  ASSERT_GT(spilled, 0u);  // the test needs spills to mean anything
  for (const auto& [h, ref] : in)
    t.erase(h, ref);
  EXPECT_EQ(t.keys(), 0u);
  for (uint32_t b = 0; b < t.buckets(); ++b)
    EXPECT_EQ(t.bucket(b).reach, 0u) << b;
}

}  // namespace
}  // namespace gale::lb
