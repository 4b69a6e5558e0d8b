// Connection sync's wire format, version 1 (docs/ha.md "The sync wire format"): one UDP
// datagram carries a 16-byte header and records of connections, each self-sized so a
// later version can append fields that version 1 readers skip.
//
//   header: "GSYN", version 1, type, syncid, record count, sender node id (32 bits),
//           sequence number (32 bits, per sender: a gap is a lost datagram)
//   record: op, family (4 or 6), protocol, mode, state, reserved, length (16 bits),
//           fwmark, seconds left, VIP port, real server port, client port, client's
//           destination port, FullNAT local port, flags (16 bits: a persistence
//           template or a connection), then five
//           addresses of the family: VIP, real server, client, client's destination,
//           FullNAT local address (zero when not FullNAT; NAT64's IPv4 real server
//           and local address in an IPv6 record: IPv4-mapped); with flag 0x0400 (a FullNAT
//           connection with a PROXY header), 8 more bytes: the client's first payload
//           sequence number (32 bits), the header's length (16), its version, and 1
//           when the server has acknowledged it.
// All fields are in network byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/expected.h"
#include "lb/flow_sync.h"

namespace gale::ha {

inline constexpr uint8_t kSyncVersion = 1;
inline constexpr size_t kSyncHeaderLen = 16;
inline constexpr size_t kSyncRecordFixed = 28;  // before the addresses
inline constexpr size_t kSyncRecordV4 = kSyncRecordFixed + 5 * 4;
inline constexpr size_t kSyncRecordV6 = kSyncRecordFixed + 5 * 16;
inline constexpr size_t kSyncMaxRecords = 255;
// The record's flags: a persistence template rather than a connection, at IPVS's bit
// for it (IP_VS_CONN_F_TEMPLATE). A reader ignores the bits it does not know.
inline constexpr uint16_t kSyncFlagTemplate = 0x1000;
// A sequence-translated connection (lb/client_addr.h), at IPVS's bit for "input
// sequence adjust" (IP_VS_CONN_F_IN_SEQ); its 8 bytes follow the addresses.
inline constexpr uint16_t kSyncFlagInSeq = 0x0400;
inline constexpr size_t kSyncSeqLen = 8;

enum class SyncType : uint8_t {
  flows = 1,         // records
  bulk_request = 2,  // a node that starts asks its peers for every connection they hold
  bulk_end = 3,      // a peer has sent them all
};

struct SyncHeader {
  SyncType type = SyncType::flows;
  uint8_t syncid = 0;  // lvs_sync_daemon's id: a datagram of another id is ignored
  uint32_t node = 0;   // the sender's random id: its own datagrams are ignored
  uint32_t seq = 0;
};

// Whether a node with sync id `ours` heeds a datagram of `theirs`: the same id, or any
// when ours is 0 (IPVS's backup with syncid 0 accepts every master's).
constexpr bool accepts_syncid(uint8_t ours, uint8_t theirs) {
  return ours == 0 || ours == theirs;
}

// Fills one datagram of at most buf.size() bytes with records.
class SyncWriter {
 public:
  SyncWriter(std::span<uint8_t> buf, const SyncHeader& h);
  // False when the record does not fit (the datagram is full): finish() and start anew.
  bool add(const lb::SyncEvent& ev);
  uint8_t count() const { return count_; }
  // The datagram's length, with the header's record count written.
  size_t finish();

 private:
  std::span<uint8_t> buf_;
  size_t len_ = kSyncHeaderLen;
  uint8_t count_ = 0;
};

// A header without records (bulk_request, bulk_end), or one to fill with SyncWriter.
size_t write_sync_header(std::span<uint8_t> buf, const SyncHeader& h, uint8_t count);

// Parses a datagram: its header, and its records appended to `out`. The errors name what
// was wrong ("magic", "version 2", "record 3: family 5", ...), for counters and logs; a
// datagram with an error yields no record.
Expected<SyncHeader> parse_sync(std::span<const uint8_t> dgram, std::vector<lb::SyncEvent>& out);

}  // namespace gale::ha
