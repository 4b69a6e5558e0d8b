// Tracking and sync groups with injected time: keepalived's weight arithmetic, rise/fall
// damping, and a sync group's members moving together (machines driven as the engine
// drives them: sync_group.h's answer applied to each other member).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ha/sync_group.h"
#include "ha/tracking.h"

namespace gale::ha {
namespace {

constexpr Micros kSec = 1000000;

TEST(ScriptDamping, FirstResultDecidesAtOnceThenRiseAndFallDamp) {
  ScriptDamping d(/*rise=*/3, /*fall=*/2, /*init_fail=*/false);
  EXPECT_FALSE(d.ok().has_value());  // unknown until it has run
  EXPECT_TRUE(d.record(true));
  EXPECT_EQ(d.ok(), true);
  EXPECT_FALSE(d.record(false));  // 1 of fall 2
  EXPECT_FALSE(d.record(true));   // a success resets the count
  EXPECT_FALSE(d.record(false));
  EXPECT_TRUE(d.record(false));  // 2 in a row
  EXPECT_EQ(d.ok(), false);
  EXPECT_FALSE(d.record(true));
  EXPECT_FALSE(d.record(true));
  EXPECT_FALSE(d.record(false));  // resets: rise needs 3 in a row
  EXPECT_FALSE(d.record(true));
  EXPECT_FALSE(d.record(true));
  EXPECT_TRUE(d.record(true));
  EXPECT_EQ(d.ok(), true);
}

TEST(ScriptDamping, InitFailStartsFailedAndNeedsRise) {
  ScriptDamping d(2, 1, /*init_fail=*/true);
  EXPECT_EQ(d.ok(), false);
  EXPECT_FALSE(d.record(true));
  EXPECT_TRUE(d.record(true));
  EXPECT_EQ(d.ok(), true);
  EXPECT_TRUE(d.record(false));  // fall 1
  EXPECT_EQ(d.ok(), false);
}

TEST(TrackEvaluate, WeightsAddWhileUpAndSubtractWhileDown) {
  std::vector<Tracked> t = {{.weight = 10, .up = true}, {.weight = -30, .up = true}};
  EXPECT_EQ(evaluate(100, t).priority, 110);
  EXPECT_FALSE(evaluate(100, t).fault);
  t[0].up = false;  // a positive weight is just not added
  EXPECT_EQ(evaluate(100, t).priority, 100);
  t[1].up = false;  // a negative one is subtracted
  EXPECT_EQ(evaluate(100, t).priority, 70);
  t[0].up.reset();  // unknown: no effect
  EXPECT_EQ(evaluate(100, t).priority, 70);
}

TEST(TrackEvaluate, ReverseTurnsTheAdjustmentAround) {
  std::vector<Tracked> t = {{.weight = 10, .reverse = true, .up = true}};
  EXPECT_EQ(evaluate(100, t).priority, 90);
  t[0].up = false;
  EXPECT_EQ(evaluate(100, t).priority, 100);
  t = {{.weight = -20, .reverse = true, .up = false}};
  EXPECT_EQ(evaluate(100, t).priority, 120);
  t[0].up = true;
  EXPECT_EQ(evaluate(100, t).priority, 100);
}

TEST(TrackEvaluate, WeightZeroIsFault) {
  std::vector<Tracked> t = {{.weight = 0, .up = true}, {.weight = 5, .up = true}};
  EXPECT_FALSE(evaluate(100, t).fault);
  t[0].up = false;
  EXPECT_TRUE(evaluate(100, t).fault);
  t[0].reverse = true;  // reverse: FAULT while up
  EXPECT_FALSE(evaluate(100, t).fault);
  t[0].up = true;
  EXPECT_TRUE(evaluate(100, t).fault);
  t[0].up.reset();  // not run yet: no FAULT
  EXPECT_FALSE(evaluate(100, t).fault);
}

TEST(TrackEvaluate, ClampedToOneAnd254AndTheOwnerNeverMoves) {
  std::vector<Tracked> t = {{.weight = 200, .up = true}, {.weight = 100, .up = true}};
  EXPECT_EQ(evaluate(100, t).priority, 254);
  t = {{.weight = -253, .up = false}};
  EXPECT_EQ(evaluate(100, t).priority, 1);
  EXPECT_EQ(evaluate(255, t).priority, 255);
  t = {{.weight = 0, .up = false}};
  EXPECT_TRUE(evaluate(255, t).fault);  // weight 0 still applies to the owner
}

// A lower effective priority is advertised at once; a BACKUP above the master preempts
// when its down timer fires, since it ignores the lower master's adverts.
TEST(TrackPriority, MasterAdvertisesItsDropAndABackupAboveItPreempts) {
  VrrpMachine master({.version = 3, .priority = 150, .primary = *net::parse_ip("10.0.0.1")});
  master.start(0);
  master.on_timer(master.deadline());
  ASSERT_EQ(master.state(), VrrpState::master);
  const std::vector<Tracked> failing = {{.weight = -100, .up = false}};
  const auto a = master.set_priority(evaluate(150, failing).priority, 5 * kSec);
  EXPECT_EQ(a.send_priority, 50);

  VrrpMachine backup({.version = 3, .priority = 100, .primary = *net::parse_ip("10.0.0.2")});
  backup.start(0);
  const Micros t = 5 * kSec;
  backup.on_advert(50, kSec, *net::parse_ip("10.0.0.1"), t);  // lower: ignored
  EXPECT_LT(backup.deadline(), t);                            // its timer, from start, runs on
  EXPECT_EQ(*backup.on_timer(t).entered, VrrpState::master);
}

// Two members of one sync group, as the engine drives them.
struct Group {
  std::vector<VrrpMachine> m;
  std::vector<VrrpState> entered;  // every state any member entered, in order

  explicit Group(std::vector<uint8_t> prios) {
    for (size_t i = 0; i < prios.size(); ++i)
      m.emplace_back(VrrpConfig{.version = 3, .priority = prios[i]});
  }
  void act(size_t i, const VrrpActions& a, Micros now) {
    if (!a.entered) return;
    entered.push_back(*a.entered);
    for (size_t o = 0; o < m.size(); ++o) {
      if (o == i) continue;
      const SyncMove move = sync_move(*a.entered, m[o].state());
      if (move == SyncMove::to_master) act(o, m[o].sync_master(now), now);
      if (move == SyncMove::to_backup) act(o, m[o].sync_backup(now), now);
    }
  }
  // Each member's own fault, or the group's: any member's own.
  void set_faults(const std::vector<bool>& own, Micros now) {
    bool any = false;
    for (bool f : own)
      any = any || f;
    for (size_t i = 0; i < m.size(); ++i)
      act(i, m[i].set_fault(own[i] || any, now), now);
  }
  std::vector<VrrpState> states() const {
    std::vector<VrrpState> s;
    for (const VrrpMachine& x : m)
      s.push_back(x.state());
    return s;
  }
};

TEST(SyncGroup, OneBecomingMasterTakesTheOthers) {
  Group g({200, 100});
  for (size_t i = 0; i < 2; ++i)
    g.act(i, g.m[i].start(0), 0);
  EXPECT_EQ(group_state(g.states()), VrrpState::backup);
  // The higher priority's down timer fires first: both are MASTER then, not just it.
  const Micros t = g.m[0].deadline();
  ASSERT_LT(t, g.m[1].deadline());
  g.act(0, g.m[0].on_timer(t), t);
  EXPECT_EQ(g.m[1].state(), VrrpState::master);
  EXPECT_EQ(group_state(g.states()), VrrpState::master);
  EXPECT_EQ(g.m[1].deadline(), t + kSec);  // it advertises from now on
}

TEST(SyncGroup, OneHearingAHigherMasterTakesTheOthersToBackup) {
  Group g({200, 100});
  for (size_t i = 0; i < 2; ++i)
    g.act(i, g.m[i].start(0), 0);
  g.act(0, g.m[0].on_timer(g.m[0].deadline()), g.m[0].deadline());
  ASSERT_EQ(group_state(g.states()), VrrpState::master);
  const Micros t = 10 * kSec;
  g.act(1, g.m[1].on_advert(250, kSec, *net::parse_ip("10.0.0.9"), t), t);
  EXPECT_EQ(g.m[0].state(), VrrpState::backup);
  EXPECT_EQ(group_state(g.states()), VrrpState::backup);
}

TEST(SyncGroup, FaultOfOneIsFaultOfAllUntilItClears) {
  Group g({200, 100});
  for (size_t i = 0; i < 2; ++i)
    g.act(i, g.m[i].start(0), 0);
  g.act(0, g.m[0].on_timer(g.m[0].deadline()), g.m[0].deadline());
  ASSERT_EQ(group_state(g.states()), VrrpState::master);
  g.set_faults({false, true}, 10 * kSec);
  EXPECT_EQ(g.m[0].state(), VrrpState::fault);
  EXPECT_EQ(g.m[1].state(), VrrpState::fault);
  EXPECT_EQ(group_state(g.states()), VrrpState::fault);
  g.set_faults({false, false}, 12 * kSec);
  EXPECT_EQ(group_state(g.states()), VrrpState::backup);
  // Then the first down timer takes the whole group to MASTER again.
  const Micros t = g.m[0].deadline();
  g.act(0, g.m[0].on_timer(t), t);
  EXPECT_EQ(group_state(g.states()), VrrpState::master);
}

TEST(SyncGroup, StateIsNoneWhileMembersDisagree) {
  EXPECT_FALSE(group_state(std::vector{VrrpState::master, VrrpState::backup}));
  EXPECT_FALSE(group_state(std::vector{VrrpState::init, VrrpState::init}));
  EXPECT_EQ(group_state(std::vector{VrrpState::master, VrrpState::fault}), VrrpState::fault);
}

// keepalived's track_file rules (track_file.c, vrrp_track.c): value x weight (negated
// with reverse), at most 253, -254 or below FAULT; weight 0: non-zero is FAULT.
TEST(TrackFile, ValueTimesWeightWithinRangeAndFaultAtMinus254) {
  EXPECT_EQ(file_effect({.value = 10}).delta, 10);  // default weight 1
  EXPECT_EQ(file_effect({.value = 10, .weight = 5}).delta, 50);
  EXPECT_EQ(file_effect({.value = 5, .weight = 10, .reverse = true}).delta, -50);
  EXPECT_EQ(file_effect({.value = 300}).delta, 253);  // capped
  EXPECT_EQ(file_effect({.value = -253}).delta, -253);
  EXPECT_FALSE(file_effect({.value = -253}).fault);
  EXPECT_TRUE(file_effect({.value = -254}).fault);
  EXPECT_TRUE(file_effect({.value = 30, .weight = -10}).fault);  // -300
  EXPECT_EQ(file_effect({.value = 30, .weight = -10}).delta, 0);
  EXPECT_EQ(file_effect({.value = 0, .weight = 7}).delta, 0);
}

TEST(TrackFile, WeightZeroFaultsOnNonZero) {
  EXPECT_FALSE(file_effect({.value = 0, .weight = 0}).fault);
  EXPECT_TRUE(file_effect({.value = 3, .weight = 0}).fault);
  EXPECT_TRUE(file_effect({.value = -1, .weight = 0}).fault);
  EXPECT_TRUE(file_effect({.value = 0, .weight = 0, .reverse = true}).fault);
  EXPECT_FALSE(file_effect({.value = 9, .weight = 0, .reverse = true}).fault);
}

TEST(TrackFile, EvaluateAddsFilesAndClampsAndKeepsTheOwner) {
  std::vector<TrackedFile> f = {{.value = 50}};
  EXPECT_EQ(evaluate(100, {}, f).priority, 150);
  f.push_back({.value = -20, .weight = 2});  // -40
  EXPECT_EQ(evaluate(100, {}, f).priority, 110);
  f = {{.value = 200}};
  EXPECT_EQ(evaluate(100, {}, f).priority, 254);
  f = {{.value = -200}};
  EXPECT_EQ(evaluate(100, {}, f).priority, 1);
  EXPECT_FALSE(evaluate(100, {}, f).fault);
  f = {{.value = 50}};
  EXPECT_EQ(evaluate(255, {}, f).priority, 255);
  f = {{.value = 1, .weight = 0}};
  EXPECT_TRUE(evaluate(255, {}, f).fault);
  std::vector<Tracked> t = {{.weight = -30, .up = false}};
  f = {{.value = 10}};
  EXPECT_EQ(evaluate(100, t, f).priority, 80);
}

TEST(TrackFile, ParsedAsStrtolWithBaseZero) {
  EXPECT_EQ(parse_track_file("42\n"), 42);
  EXPECT_EQ(parse_track_file("  -5"), -5);
  EXPECT_EQ(parse_track_file("0x10"), 16);
  EXPECT_EQ(parse_track_file("010"), 8);
  EXPECT_EQ(parse_track_file("12abc"), 12);
  EXPECT_EQ(parse_track_file("abc"), 0);
  EXPECT_EQ(parse_track_file(""), 0);
  EXPECT_EQ(parse_track_file("2147483648"), 2147483648);  // INT32_MAX + 1 is let through
  EXPECT_EQ(parse_track_file("2147483649"), std::nullopt);
  EXPECT_EQ(parse_track_file("-2147483649"), std::nullopt);
  EXPECT_EQ(parse_track_file("99999999999999999999"), std::nullopt);
}

TEST(ProcessQuorum, FirstCountDecidesThenWithinQuorumRange) {
  ProcessQuorum q(/*quorum=*/2, /*quorum_max=*/3, 0, 0);
  EXPECT_FALSE(q.up().has_value());
  EXPECT_TRUE(q.record(0, 0));
  EXPECT_EQ(q.up(), false);
  EXPECT_FALSE(q.record(1, 1));
  EXPECT_TRUE(q.record(2, 2));
  EXPECT_EQ(q.up(), true);
  EXPECT_FALSE(q.record(3, 3));
  EXPECT_TRUE(q.record(4, 4));  // above quorum_max
  EXPECT_EQ(q.up(), false);
}

TEST(ProcessQuorum, QuorumMaxZeroWantsNoProcess) {
  ProcessQuorum q(0, 0, 0, 0);
  EXPECT_TRUE(q.record(0, 0));
  EXPECT_EQ(q.up(), true);
  EXPECT_TRUE(q.record(1, 1));
  EXPECT_EQ(q.up(), false);
}

TEST(ProcessQuorum, DelaysReportLaterAndNotAtAllIfBackInTime) {
  ProcessQuorum q(1, UINT32_MAX, /*fork_delay=*/2 * kSec, /*terminate_delay=*/1 * kSec);
  EXPECT_TRUE(q.record(1, 0));  // the first count: at once
  EXPECT_FALSE(q.record(0, 10 * kSec));
  EXPECT_EQ(q.deadline(), 11 * kSec);
  EXPECT_FALSE(q.record(1, 10 * kSec + 500000));  // back in time: cancelled
  EXPECT_EQ(q.deadline(), INT64_MAX);
  EXPECT_EQ(q.up(), true);
  EXPECT_FALSE(q.record(0, 20 * kSec));
  EXPECT_FALSE(q.record(0, 20 * kSec + 900000));  // still counting down
  EXPECT_EQ(q.deadline(), 21 * kSec);
  EXPECT_TRUE(q.record(0, 21 * kSec));
  EXPECT_EQ(q.up(), false);
  EXPECT_FALSE(q.record(2, 30 * kSec));  // fork_delay
  EXPECT_EQ(q.deadline(), 32 * kSec);
  EXPECT_TRUE(q.record(2, 32 * kSec));
  EXPECT_EQ(q.up(), true);
}

// keepalived's check_params: comm or argv[0], then the arguments after it.
TEST(ProcessMatch, NameIsCommOrArgv0AndParamsMatchAsKeepalived) {
  using namespace std::string_literals;
  const std::string cmd = "/bin/sleep\0"s + "1000\0"s + "x\0"s;
  EXPECT_TRUE(process_matches({.name = "sleep"}, "sleep", cmd));
  EXPECT_FALSE(process_matches({.name = "/bin/sleep"}, "sleep", cmd));  // comm
  EXPECT_TRUE(process_matches({.name = "/bin/sleep", .full_command = true}, "sleep", cmd));
  const auto m = [](std::vector<std::string> p, ParamMatch how) {
    return ProcessMatch{
        .name = "/bin/sleep", .params = std::move(p), .param_match = how, .full_command = true};
  };
  EXPECT_TRUE(process_matches(m({"1000", "x"}, ParamMatch::exact), "", cmd));
  EXPECT_FALSE(process_matches(m({"1000"}, ParamMatch::exact), "", cmd));
  EXPECT_FALSE(process_matches(m({}, ParamMatch::exact), "", cmd));
  EXPECT_TRUE(process_matches(m({}, ParamMatch::exact), "", "/bin/sleep\0"s));
  EXPECT_TRUE(process_matches(m({"1000"}, ParamMatch::partial), "", cmd));
  EXPECT_FALSE(process_matches(m({"100"}, ParamMatch::partial), "", cmd));
  EXPECT_TRUE(process_matches(m({"100"}, ParamMatch::initial), "", cmd));
  EXPECT_TRUE(process_matches(m({"1000", ""}, ParamMatch::initial), "", cmd));
  EXPECT_FALSE(process_matches(m({"1000", "y"}, ParamMatch::initial), "", cmd));
  EXPECT_FALSE(process_matches(m({"1000", "x", "z"}, ParamMatch::partial), "", cmd));
}

}  // namespace
}  // namespace gale::ha
