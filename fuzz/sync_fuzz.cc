// libFuzzer target for the connection sync wire format (ha/sync_wire.h): random bytes
// through parse_sync. What parses must write back (SyncWriter) and parse again to the
// same header and records; a datagram that fails yields no record.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ha/sync_wire.h"

#include "fuzz_check.h"

namespace {

using namespace gale;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<lb::SyncEvent> got;
  auto h = ha::parse_sync(std::span(data, size), got);
  if (!h) {
    CHECK(got.empty());
    return 0;
  }
  std::vector<uint8_t> buf(size + ha::kSyncHeaderLen);
  ha::SyncWriter w(buf, *h);
  for (const lb::SyncEvent& e : got)
    CHECK(w.add(e));  // a record never grows when written back
  const size_t len = w.finish();
  CHECK(len <= size);
  std::vector<lb::SyncEvent> again;
  auto h2 = ha::parse_sync(std::span(buf.data(), len), again);
  CHECK(h2.has_value());
  CHECK(h2->type == h->type && h2->syncid == h->syncid && h2->node == h->node && h2->seq == h->seq);
  CHECK(again.size() == got.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(again[i] == got[i]);
  return 0;
}
