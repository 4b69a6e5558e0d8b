// keepalived's vrrp_sync_group: instances that move together (docs/ha.md, "Tracking").
// One member becoming MASTER takes the others to MASTER; one leaving MASTER for BACKUP
// (a higher priority heard) takes the other MASTERs to BACKUP; the group is in FAULT
// while any member's own tracking says FAULT, and so is every member. Pure: the engine
// asks what a member must do and drives its machine (VrrpMachine::sync_master / sync_backup
// / set_fault).
#pragma once

#include <optional>
#include <span>

#include "ha/vrrp_machine.h"

namespace gale::ha {

enum class SyncMove : uint8_t { none, to_master, to_backup };

// What a member in state `member` does now that another member entered `entered`.
SyncMove sync_move(VrrpState entered, VrrpState member);

// The group's state, for its notify scripts: FAULT when any member is in FAULT, else
// MASTER or BACKUP when every member is; none while they disagree (a move in progress)
// or before start.
std::optional<VrrpState> group_state(std::span<const VrrpState> members);

}  // namespace gale::ha
