// Differential libFuzzer target for the flow table (lb/flow_table.h) and the tracker's
// expiry sweep (lb/flow_tracker.h), against a plain std::unordered_map model: insert,
// find, erase, alloc/release, expiry and long churn over a small key space, so that
// buckets fill, spill and empty again.
//
// Input: bytes read as operations; each takes an opcode byte and a key byte (the key
// space is 256 tuples of one family, chosen by the first input byte). Checked after
// every operation: the table and the model agree on the touched key; used() and
// keys() equal the model's size. Checked after the input: every key in the model is
// found and nothing else; each bucket's `reach` is exactly as far as its farthest key
// (so erase shrinks it, and an empty table reaches nowhere).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "lb/flow_tracker.h"

#include "fuzz_check.h"

namespace {

using namespace gale;

constexpr uint32_t kCapacity = 64;  // small: the table fills and buckets spill

template <typename Key>
Key key_for(uint8_t k, bool v6) {
  // Keys that differ in one port, so that many share bits and some share tags' halves.
  const net::IpAddr src = v6 ? *net::parse_ip("2001:db8::7") : *net::parse_ip("198.51.100.7");
  const net::IpAddr dst = v6 ? *net::parse_ip("2001:db8::10") : *net::parse_ip("192.0.2.10");
  return Key::make(src, static_cast<uint16_t>(1000 + k), dst, 80, 6);
}

// Every bucket's reach equals the distance of its farthest key (from the slots'
// recorded distances), and no key lies past kMaxReach.
template <typename Key>
void check_reach(const lb::FlowTable<Key>& t) {
  using Table = lb::FlowTable<Key>;
  for (uint32_t b = 0; b + Table::kMaxReach < t.buckets(); ++b) {
    uint32_t far = 0;
    for (uint32_t d = 1; d <= Table::kMaxReach; ++d) {
      const lb::FlowBucket& x = t.bucket(b + d);
      for (int i = 0; i < lb::FlowBucket::kSlots; ++i)
        if (x.tag[i] != 0 && x.dist_of(i) == d) far = d;
    }
    CHECK(t.bucket(b).reach == far);
  }
}

template <typename Key>
void run(const uint8_t* data, size_t size, bool v6) {
  lb::Snapshot snap;  // the tracker reads no snapshot for forward-only entries
  lb::FlowTracker tracker(kCapacity, kCapacity, 0x5eed ^ size);
  tracker.use(&snap);
  lb::FlowTable<Key>& t = tracker.table<Key>();
  std::unordered_map<uint8_t, uint32_t> model;  // key byte -> entry index
  std::unordered_map<uint8_t, uint32_t> expires;
  uint32_t now = 100;

  auto find = [&](uint8_t k) { return tracker.find(key_for<Key>(k, v6), false); };
  auto remove = [&](uint32_t idx) {
    const Key key = t.entry(idx).key;
    tracker.unindex<Key>(idx);
    t.release(idx);
    for (auto it = model.begin(); it != model.end(); ++it)
      if (it->second == idx) {
        expires.erase(it->first);
        model.erase(it);
        break;
      }
    CHECK(tracker.find(key, false) == lb::kNoRef);
  };

  for (size_t off = 0; off + 2 <= size; off += 2) {
    const uint8_t op = data[off] % 5, k = data[off + 1];
    switch (op) {
      case 0:
      case 1: {  // insert (twice as likely, so the table fills)
        if (model.count(k)) {
          CHECK(find(k) == model[k]);
          break;
        }
        const uint32_t idx = t.alloc();
        if (idx == lb::kNoRef) {
          CHECK(model.size() == kCapacity);
          break;
        }
        lb::FlowEntry<Key>& e = t.entry(idx);
        e = lb::FlowEntry<Key>{};
        e.key = key_for<Key>(k, v6);
        e.state = static_cast<uint8_t>(lb::ConnState::established);
        e.expires = now + 1 + data[off] / 5 % 8;
        if (!t.insert(t.hash(e.key), idx)) {  // every bucket within reach full
          t.release(idx);
          break;
        }
        model[k] = idx;
        expires[k] = e.expires;
        break;
      }
      case 2: {  // erase
        auto it = model.find(k);
        if (it == model.end()) {
          CHECK(find(k) == lb::kNoRef);
          break;
        }
        remove(it->second);
        break;
      }
      case 3: {  // find
        auto it = model.find(k);
        CHECK(find(k) == (it == model.end() ? lb::kNoRef : it->second));
        break;
      }
      case 4: {  // time passes; the sweep expires what is due
        now += 1 + k % 4;
        tracker.sweep<Key>(k % (kCapacity + 1), now, [&](uint32_t idx) { remove(idx); });
        for (const auto& [key, exp] : expires)
          CHECK(exp > now || model.count(key));  // not yet swept is fine; wrongly kept isn't
        break;
      }
    }
    CHECK(t.used() == model.size());
    CHECK(t.keys() == model.size());
  }
  for (uint32_t k = 0; k < 256; ++k) {
    auto it = model.find(static_cast<uint8_t>(k));
    CHECK(find(static_cast<uint8_t>(k)) == (it == model.end() ? lb::kNoRef : it->second));
  }
  check_reach(t);
  // Long churn: erase everything; an empty table reaches nowhere.
  while (!model.empty())
    remove(model.begin()->second);
  CHECK(t.keys() == 0);
  for (uint32_t b = 0; b < t.buckets(); ++b)
    CHECK(t.bucket(b).reach == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1)
    run<lb::FlowKeyV6>(data + 1, size - 1, true);
  else
    run<lb::FlowKeyV4>(data + 1, size - 1, false);
  return 0;
}
