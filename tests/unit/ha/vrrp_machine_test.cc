// The VRRP state machine through every transition, with injected time. Expected times
// come from RFC 5798 section 6.1 (v3: Skew_Time = ((256 - Priority) x
// Master_Adver_Interval) / 256), RFC 3768 section 6.1 (v2: (256 - Priority) / 256 s),
// Master_Down_Interval = 3 x Master_Adver_Interval + Skew_Time, and keepalived's
// documented choices (docs/ha.md).
#include <gtest/gtest.h>

#include "ha/vrrp_machine.h"

namespace gale::ha {
namespace {

constexpr Micros kSec = 1000000;

net::IpAddr ip(const char* s) {
  return *net::parse_ip(s);
}

VrrpConfig v3(uint8_t prio, Micros advert = kSec) {
  return {.version = 3, .priority = prio, .advert_interval = advert, .primary = ip("10.0.0.2")};
}

Micros down_v3(uint8_t prio, Micros advert) {
  return 3 * advert + (256 - prio) * advert / 256;
}

bool entered(const VrrpActions& a, VrrpState s) {
  return a.entered && *a.entered == s;
}

TEST(VrrpMachine, StartsBackupAndTakesOverWhenTheMasterIsSilent) {
  VrrpMachine m(v3(100));
  auto a = m.start(0);
  EXPECT_TRUE(entered(a, VrrpState::backup));
  EXPECT_FALSE(a.send_priority);
  EXPECT_EQ(m.deadline(), down_v3(100, kSec));  // 3.609375 s
  EXPECT_FALSE(m.on_timer(m.deadline() - 1).entered);
  EXPECT_EQ(m.state(), VrrpState::backup);
  const Micros t = m.deadline();
  a = m.on_timer(t);
  EXPECT_TRUE(entered(a, VrrpState::master));
  EXPECT_EQ(a.send_priority, 100);
  EXPECT_EQ(m.deadline(), t + kSec);
  a = m.on_timer(t + kSec);  // then one advertisement per interval
  EXPECT_FALSE(a.entered);
  EXPECT_EQ(a.send_priority, 100);
  EXPECT_EQ(m.deadline(), t + 2 * kSec);
}

// keepalived's down_timer_adverts N: a BACKUP waits N intervals (not 3) plus Skew_Time.
TEST(VrrpMachine, DownTimerAdvertsSetsTheIntervalsABackupWaits) {
  VrrpConfig c = v3(100, kSec / 10);
  c.down_timer_adverts = 5;
  VrrpMachine m(c);
  m.start(0);
  EXPECT_EQ(m.deadline(), 5 * kSec / 10 + 156 * (kSec / 10) / 256);  // 0.5609375 s
  EXPECT_TRUE(entered(m.on_timer(m.deadline()), VrrpState::master));
}

TEST(VrrpMachine, V2SkewIsAFractionOfASecond) {
  VrrpMachine m({.version = 2, .priority = 100, .advert_interval = 3 * kSec});
  m.start(0);
  EXPECT_EQ(m.skew_time(), 156 * kSec / 256);
  EXPECT_EQ(m.deadline(), 9 * kSec + 156 * kSec / 256);
}

TEST(VrrpMachine, TheOwnerConfiguredMasterListensOneInterval) {
  VrrpConfig c = v3(255);
  c.start_master = true;
  VrrpMachine m(c);
  m.start(0);
  EXPECT_EQ(m.state(), VrrpState::backup);  // keepalived: BACKUP first, always
  EXPECT_EQ(m.deadline(), kSec + kSec / 256);
  VrrpMachine other(v3(200));  // `state MASTER` below 255 waits the full interval
  other.start(0);
  EXPECT_EQ(other.deadline(), down_v3(200, kSec));
}

TEST(VrrpMachine, BackupFollowsTheMasterAndLearnsItsInterval) {
  VrrpMachine m(v3(100));
  m.start(0);
  const Micros t = 2 * kSec;
  EXPECT_FALSE(m.on_advert(150, 30000, ip("10.0.0.9"), t).entered);
  EXPECT_EQ(m.deadline(), t + down_v3(100, 30000));  // 0.03 s adverts: 108.28 ms
  EXPECT_EQ(m.master_down_interval(), 90000 + 156 * 30000 / 256);
  m.on_advert(100, 30000, ip("10.0.0.1"), t + 10);  // equal priority: still the master
  EXPECT_EQ(m.deadline(), t + 10 + down_v3(100, 30000));
}

TEST(VrrpMachine, PriorityZeroCutsTheWaitToSkewTime) {
  VrrpMachine m(v3(100));
  m.start(0);
  m.on_advert(0, kSec, ip("10.0.0.9"), 500);
  EXPECT_EQ(m.deadline(), 500 + 156 * kSec / 256);
  auto a = m.on_timer(m.deadline());
  EXPECT_TRUE(entered(a, VrrpState::master));
}

TEST(VrrpMachine, ABackupPreemptsALowerMasterUnlessNopreempt) {
  VrrpMachine pre(v3(100));
  pre.start(0);
  const Micros before = pre.deadline();
  pre.on_advert(50, kSec, ip("10.0.0.9"), 1000);
  EXPECT_EQ(pre.deadline(), before);  // ignored: the down timer runs out
  EXPECT_TRUE(entered(pre.on_timer(before), VrrpState::master));

  VrrpConfig c = v3(100);
  c.preempt = false;
  VrrpMachine nopre(c);
  nopre.start(0);
  nopre.on_advert(50, kSec, ip("10.0.0.9"), 1000);
  EXPECT_EQ(nopre.deadline(), 1000 + down_v3(100, kSec));  // followed
}

TEST(VrrpMachine, PreemptDelayHoldsOffAfterStartAndAfterFirstSeeingALowerMaster) {
  VrrpConfig c = v3(100);
  c.preempt_delay = 10 * kSec;
  VrrpMachine m(c);
  m.start(0);
  m.on_advert(50, kSec, ip("10.0.0.9"), 2 * kSec);  // within the delay: followed
  EXPECT_EQ(m.deadline(), 2 * kSec + down_v3(100, kSec));
  m.on_advert(50, kSec, ip("10.0.0.9"), 11 * kSec);  // 10 s from start, 9 from first seen
  EXPECT_EQ(m.deadline(), 11 * kSec + down_v3(100, kSec));
  const Micros t = 12 * kSec;  // 10 s since the lower master was first heard
  m.on_advert(50, kSec, ip("10.0.0.9"), t);
  EXPECT_EQ(m.deadline(), 11 * kSec + down_v3(100, kSec));  // ignored now
}

VrrpMachine master_at(VrrpConfig c, Micros& t) {
  VrrpMachine m(c);
  m.start(0);
  t = m.deadline();
  EXPECT_TRUE(entered(m.on_timer(t), VrrpState::master));
  return m;
}

TEST(VrrpMachine, MasterYieldsToHigherPriorityAndToEqualFromAHigherAddress) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(100), t);
  auto a = m.on_advert(150, 50000, ip("10.0.0.1"), t + 5);
  EXPECT_TRUE(entered(a, VrrpState::backup));
  EXPECT_FALSE(a.send_priority);
  EXPECT_EQ(m.deadline(), t + 5 + down_v3(100, 50000));  // v3: the new master's interval

  VrrpMachine eq = master_at(v3(100), t);
  a = eq.on_advert(100, kSec, ip("10.0.0.3"), t + 5);  // 10.0.0.3 > our 10.0.0.2
  EXPECT_TRUE(entered(a, VrrpState::backup));

  VrrpMachine stays = master_at(v3(100), t);
  a = stays.on_advert(100, kSec, ip("10.0.0.1"), t + 5);  // lower address: we stay
  EXPECT_FALSE(a.entered);
  EXPECT_EQ(a.send_priority, 100);  // and assert ourselves at once
  EXPECT_EQ(stays.state(), VrrpState::master);
  a = stays.on_advert(90, kSec, ip("10.0.0.9"), t + 6);  // lower priority: likewise
  EXPECT_FALSE(a.entered);
  EXPECT_EQ(a.send_priority, 100);
  // keepalived re-announces its VIPs then (garp_lower_prio_repeat): the machine says so.
  EXPECT_TRUE(a.heard_lower);
}

// A higher priority or a priority 0 is not a lower master: no re-announcement.
TEST(VrrpMachine, OnlyALowerMasterIsHeardAsLower) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(100), t);
  EXPECT_FALSE(m.on_advert(0, kSec, ip("10.0.0.9"), t + 1).heard_lower);
  EXPECT_FALSE(m.on_advert(150, kSec, ip("10.0.0.9"), t + 2).heard_lower);  // now BACKUP
  EXPECT_FALSE(m.on_advert(90, kSec, ip("10.0.0.9"), t + 3).heard_lower);   // a BACKUP's
}

TEST(VrrpMachine, MasterAnswersAPriorityZeroAdvertAtOnce) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(100), t);
  auto a = m.on_advert(0, kSec, ip("10.0.0.9"), t + 300);
  EXPECT_EQ(a.send_priority, 100);
  EXPECT_EQ(m.deadline(), t + 300 + kSec);
  EXPECT_EQ(m.state(), VrrpState::master);
}

TEST(VrrpMachine, TwoAddressOwnersResolveByStepping254) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(255), t);
  auto a = m.on_advert(255, kSec, ip("10.0.0.1"), t + 1);
  EXPECT_EQ(m.priority(), 254);
  EXPECT_TRUE(entered(a, VrrpState::backup));
}

TEST(VrrpMachine, FaultLeavesMastershipAndIgnoresAdvertsUntilCleared) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(100), t);
  auto a = m.set_fault(true, t + 1);
  EXPECT_TRUE(entered(a, VrrpState::fault));
  EXPECT_EQ(a.send_priority, 0);  // the backups take over after Skew_Time
  EXPECT_EQ(m.deadline(), INT64_MAX);
  EXPECT_FALSE(m.on_advert(50, kSec, ip("10.0.0.9"), t + 2).entered);
  EXPECT_FALSE(m.on_timer(t + 100 * kSec).send_priority);
  a = m.set_fault(false, t + 3);
  EXPECT_TRUE(entered(a, VrrpState::backup));
  EXPECT_EQ(m.deadline(), t + 3 + down_v3(100, kSec));

  VrrpMachine b(v3(100));  // a backup's fault sends nothing
  b.start(0);
  a = b.set_fault(true, 5);
  EXPECT_TRUE(entered(a, VrrpState::fault));
  EXPECT_FALSE(a.send_priority);

  VrrpMachine early(v3(100));  // a fault before start: start enters FAULT
  early.set_fault(true, 0);
  EXPECT_TRUE(entered(early.start(0), VrrpState::fault));
}

TEST(VrrpMachine, ShutdownSendsPriorityZeroOnlyAsMaster) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(100), t);
  auto a = m.shutdown(t + 1);
  EXPECT_TRUE(entered(a, VrrpState::init));
  EXPECT_EQ(a.send_priority, 0);
  VrrpMachine b(v3(100));
  b.start(0);
  EXPECT_FALSE(b.shutdown(1).send_priority);
}

TEST(VrrpMachine, TrackedPriorityChangesAreAdvertisedAtOnce) {
  Micros t = 0;
  VrrpMachine m = master_at(v3(100), t);
  auto a = m.set_priority(60, t + 7);
  EXPECT_EQ(a.send_priority, 60);
  EXPECT_EQ(m.deadline(), t + 7 + kSec);
  VrrpMachine owner(v3(255));  // the owner's 255 is fixed
  owner.start(0);
  EXPECT_FALSE(owner.set_priority(100, 1).send_priority);
  EXPECT_EQ(owner.priority(), 255);
}

}  // namespace
}  // namespace gale::ha
