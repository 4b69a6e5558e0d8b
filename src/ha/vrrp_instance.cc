#include "ha/vrrp_instance.h"

#include <algorithm>

namespace gale::ha {

Micros advert_micros(uint8_t version, uint16_t interval) {
  return version == 2 ? Micros{interval} * 1000000 : Micros{interval} * 10000;
}

namespace {

// v2 PASS: the password in the advert's 8 bytes, zero padded (longer is cut, as keepalived).
std::array<uint8_t, 8> auth_data_of(const std::string& pass) {
  std::array<uint8_t, 8> d{};
  std::copy_n(pass.begin(), std::min<size_t>(d.size(), pass.size()), d.begin());
  return d;
}

}  // namespace

Expected<VrrpInstance> VrrpInstance::open(const VrrpInstanceConfig& c, OnState on_state) {
  auto s = VrrpSocket::open(c.socket);
  if (!s) return fail(c.name + ": " + s.error().message);
  return VrrpInstance(c, std::move(*s), std::move(on_state));
}

void VrrpInstance::start(Micros now) {
  act(machine_.start(now));
}

void VrrpInstance::on_timer(Micros now) {
  act(machine_.on_timer(now));
}

void VrrpInstance::set_fault(bool fault, Micros now) {
  act(machine_.set_fault(fault, now));
}

void VrrpInstance::set_priority(uint8_t priority, Micros now) {
  act(machine_.set_priority(priority, now));
}

void VrrpInstance::sync_master(Micros now) {
  act(machine_.sync_master(now));
}

void VrrpInstance::sync_backup(Micros now) {
  act(machine_.sync_backup(now));
}

void VrrpInstance::stop(Micros now) {
  act(machine_.shutdown(now));
}

bool VrrpInstance::accept(const VrrpAdvert& a) {
  const auto drop = [&](std::string why) {
    ++counters_.dropped;
    last_drop_ = std::move(why);
    return false;
  };
  if (a.vrid != cfg_.vrid) return false;  // another router's: not ours, not an error
  if (a.version != cfg_.machine.version)
    return drop("version " + std::to_string(a.version) + " advert");
  if (a.version == 2) {
    if (a.auth != cfg_.auth) return drop("authentication type mismatch");
    if (a.auth == VrrpAuth::pass && a.auth_data != auth_data_of(cfg_.auth_pass))
      return drop("authentication failure");
    // RFC 3768 section 7.1: the interval must be ours.
    if (advert_micros(2, a.interval) != cfg_.machine.advert_interval)
      return drop("advert interval " + std::to_string(a.interval) + " s differs from ours");
  }
  return true;
}

void VrrpInstance::on_readable(Micros now) {
  for (;;) {
    auto r = socket_.receive();
    if (!r) {
      ++counters_.dropped;
      last_drop_ = r.error().message;
      continue;
    }
    if (!*r) return;
    const ReceivedAdvert& got = **r;
    if (got.src == cfg_.socket.src) continue;  // our own (unicast to ourselves)
    if (!accept(got.advert)) continue;
    ++counters_.received;
    act(machine_.on_advert(got.advert.priority,
                           advert_micros(got.advert.version, got.advert.interval), got.src, now));
  }
}

void VrrpInstance::act(const VrrpActions& a) {
  if (a.heard_lower) ++counters_.heard_lower;
  if (a.entered) {
    ++counters_.transitions;
    if (*a.entered == VrrpState::master) ++counters_.became_master;
    if (on_state_) on_state_(*a.entered);
  }
  if (!a.send_priority) return;
  const uint8_t v = cfg_.machine.version;
  VrrpAdvert ad{.version = v,
                .vrid = cfg_.vrid,
                .priority = *a.send_priority,
                .interval = static_cast<uint16_t>(v == 2 ? cfg_.machine.advert_interval / 1000000
                                                         : cfg_.machine.advert_interval / 10000),
                .family = cfg_.socket.src.family,
                .addrs = cfg_.vips,
                .auth = v == 2 ? cfg_.auth : VrrpAuth::none};
  if (v == 2 && cfg_.auth == VrrpAuth::pass) ad.auth_data = auth_data_of(cfg_.auth_pass);
  if (auto r = socket_.send(ad); r) {
    ++counters_.sent;
  } else {
    ++counters_.send_errors;
    last_drop_ = r.error().message;
  }
}

}  // namespace gale::ha
