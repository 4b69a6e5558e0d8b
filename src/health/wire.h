// The bytes the checkers send and the replies they accept, as pure functions: HTTP's
// request and status line (keepalived's check_http), the body's MD5 as genhash prints
// it, DNS queries and answers (check_dns), SMTP replies (check_smtp), UDP payloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "ctl/config.h"

namespace gale::health {

// keepalived's request: GET, User-Agent KeepAliveClient, Host; "1.0C" and "1.1" add
// Connection: close. `host` gets ":port" unless the port is the scheme's default.
std::string http_request(std::string_view path, std::string_view host, uint16_t port, bool tls,
                         std::string_view protocol);
// The status of "HTTP/1.x NNN ..." once the status line is complete; nullopt before; -1 if
// the line is not HTTP.
std::optional<int> http_status(std::string_view data);
// Where the body starts (after the blank line ending the headers), once it has arrived.
std::optional<size_t> http_body_offset(std::string_view data);
// status_code ranges; none written: any 2xx, keepalived's default.
bool status_accepted(int status, const std::vector<ctl::StatusRange>& accepted);
// Lower-case hex MD5, as genhash and keepalived's digest print it.
std::string md5_hex(std::string_view data);

// DNS_CHECK: the RR type's code (A, NS, CNAME, SOA, MX, TXT, AAAA), nullopt if unknown.
std::optional<uint16_t> dns_type_code(std::string_view type);
// A recursion-desired query for name/type with this id; error: a label too long.
Expected<std::string> dns_query(uint16_t id, std::string_view name, uint16_t type);
// A well-formed response to query `id`: QR set, RCODE 0 (as keepalived's check_dns).
Expected<void> dns_check_reply(std::string_view reply, uint16_t id);

// SMTP: the code of a complete reply (the last line "NNN " ends it); 0 while incomplete;
// -1 when malformed.
int smtp_reply_code(std::string_view data);

// UDP_CHECK payload: hex digits (keepalived writes them without separators).
Expected<std::string> payload_bytes(std::string_view hex);

}  // namespace gale::health
