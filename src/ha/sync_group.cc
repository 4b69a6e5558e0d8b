#include "ha/sync_group.h"

#include <algorithm>

namespace gale::ha {

SyncMove sync_move(VrrpState entered, VrrpState member) {
  if (entered == VrrpState::master && member == VrrpState::backup) return SyncMove::to_master;
  if (entered == VrrpState::backup && member == VrrpState::master) return SyncMove::to_backup;
  return SyncMove::none;  // FAULT goes through each member's own set_fault
}

std::optional<VrrpState> group_state(std::span<const VrrpState> members) {
  if (members.empty()) return std::nullopt;
  if (std::find(members.begin(), members.end(), VrrpState::fault) != members.end())
    return VrrpState::fault;
  const VrrpState first = members.front();
  if (first == VrrpState::init) return std::nullopt;
  for (VrrpState s : members)
    if (s != first) return std::nullopt;
  return first;
}

}  // namespace gale::ha
