# ha/: the VRRP advertisement codec, state machine, tracking and sync groups (pure: no
# sockets, injected time), and tracking's file, /proc and FIFO I/O on a scratch directory.
add_executable(unit_ha
  unit/ha/vrrp_packet_test.cc
  unit/ha/vrrp_machine_test.cc
  unit/ha/sync_wire_test.cc
  unit/ha/tracking_test.cc
  unit/ha/track_watch_test.cc
  unit/ha/announce_queue_test.cc
  unit/host/thread_sched_test.cc
)
target_link_libraries(unit_ha PRIVATE gale_ha gale_ha_sync_wire gale_test_support
                      GTest::gtest_main)
add_test(NAME unit.ha COMMAND unit_ha)
set_tests_properties(unit.ha PROPERTIES LABELS unit)

# One gale VRRP instance on the wire against Debian's keepalived in namespaces (e2e,
# root): elections and failovers in both directions, v2 and v3, IPv4 and IPv6.
add_executable(vrrp_peer e2e/ha/vrrp_peer.cc)
target_link_libraries(vrrp_peer PRIVATE gale_ha)
add_test(NAME e2e.ha.keepalived_peer
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/keepalived_peer.sh $<TARGET_FILE:vrrp_peer>)
# (Four of the six runs: galed's test below runs them all.)
set_tests_properties(e2e.ha.keepalived_peer PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 300
                     SKIP_RETURN_CODE 77
                     ENVIRONMENT "GALE_VRRP_RUNS=3 unicast 1 100,3 multicast 0.03 200,3 multicast 0.3 100 6,3 unicast 0.3 100 6")
# The same with galed itself as the gale node (its config's vrrp_instance, AF_PACKET).
add_test(NAME e2e.galed.vrrp_keepalived
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/keepalived_peer.sh $<TARGET_FILE:galed>)
set_tests_properties(e2e.galed.vrrp_keepalived PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 300
                     SKIP_RETURN_CODE 77)

# The failover lab (tests/e2e/lab/ha_pair.sh, docs/lab.md): two galed nodes in one VRRP
# instance with connection sync (lvs_sync_daemon), nginx real servers, 50 trickling
# keep-alive connections, a 10 ms prober and wrk; node A dies (link down, SIGKILL) and
# comes back. Each mode at advert_int 1 (about 25 s each): state parity before the kill
# (galectl -L -n on both nodes), B's workers hold the connections before it announces,
# the prober's gap within 3.7 s, every connection survives the kill and the fail-back.
# The centisecond interval and the clean stop are run by hand (docs/lab.md).
foreach(mode dr nat fullnat)
  add_test(NAME e2e.galed.ha_pair.${mode}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lab/ha_pair.sh $<TARGET_FILE:galed> ${mode}
                   --out ${CMAKE_CURRENT_BINARY_DIR}/ha_pair.${mode})
  set_tests_properties(e2e.galed.ha_pair.${mode} PROPERTIES LABELS e2e RUN_SERIAL TRUE
                       TIMEOUT 180 SKIP_RETURN_CODE 77)
endforeach()

# galed's tracking against keepalived: a weighted script's failure lowers galed's
# priority below keepalived's, a weight 0 one's and a tracked link's loss of carrier put
# it in FAULT; each hands the VIP over and back (with galectl --vrrp and the gale_vrrp_* metrics checked on the way).
add_test(NAME e2e.galed.vrrp_tracking
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/tracking.sh $<TARGET_FILE:galed>
                 $<TARGET_FILE:galectl>)
set_tests_properties(e2e.galed.vrrp_tracking PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 120
                     SKIP_RETURN_CODE 77)

# virtual_routes follow mastership: galed alone becomes MASTER and adds its routes (a
# gateway route in another table, a blackhole, an on-link one, one sourced from the VIP);
# a higher-priority peer (vrrp_peer) takes them away, its death gives them back, and a
# clean stop removes them.
add_test(NAME e2e.galed.virtual_routes
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/virtual_routes.sh $<TARGET_FILE:galed>
                 $<TARGET_FILE:vrrp_peer>)
set_tests_properties(e2e.galed.virtual_routes PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 60
                     SKIP_RETURN_CODE 77)

# track_file, vrrp_track_process and the notify FIFOs against keepalived: a file's value
# (weight 1) hands the VIP over and back, a tracked process killed (weight 0) is FAULT
# until it runs again, and galed's FIFOs (one read by its notify_fifo_script, one by a
# cat) hold exactly keepalived's lines for each transition.
add_test(NAME e2e.galed.vrrp_track_file_process
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/track_file_process.sh $<TARGET_FILE:galed>)
set_tests_properties(e2e.galed.vrrp_track_file_process PROPERTIES LABELS e2e RUN_SERIAL TRUE
                     TIMEOUT 120 SKIP_RETURN_CODE 77)

# A vrrp_sync_group's own track_script and track_interface: galed alone with two members;
# the group's script failing, and its link losing carrier, put both in FAULT and back.
add_test(NAME e2e.galed.sync_group_tracking
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/sync_group_tracking.sh $<TARGET_FILE:galed>)
set_tests_properties(e2e.galed.sync_group_tracking PROPERTIES LABELS e2e RUN_SERIAL TRUE
                     TIMEOUT 60 SKIP_RETURN_CODE 77)

# use_vmac against keepalived (both with use_vmac): the client's neighbour entry is the
# virtual router's MAC from the first MASTER to the last; galed's private macvlan
# carries it, the switch learns it on galed's port, HTTP through galed's DR dataplane
# reaches the real server; a clean stop hands over to keepalived and gives back the
# macvlan and every kernel setting.
add_test(NAME e2e.galed.vmac
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/vmac.sh $<TARGET_FILE:galed>)
set_tests_properties(e2e.galed.vmac PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 90
                     SKIP_RETURN_CODE 77)

# global_defs' vrrp_mcast_group4 and vrrp_garp_interval against keepalived: galed hears
# keepalived on the configured group (and stays BACKUP), advertises there once MASTER,
# and its gratuitous ARPs go round by round, at least the interval apart.
add_test(NAME e2e.galed.vrrp_announce
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/announce.sh $<TARGET_FILE:galed>)
set_tests_properties(e2e.galed.vrrp_announce PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 60
                     SKIP_RETURN_CODE 77)

# Connection sync over IPv6: two galed nodes whose lvs_sync_daemon names an IPv6 VRRP
# instance, with unicast peers or multicast (group ff02::81); the MASTER's UDP flow (DR)
# reaches the BACKUP over the IPv6 socket (its gale_sync_records_received_total, and
# galectl -L -c -n lists it); a persistence template reaches it too: after the MASTER's
# death the client's next flow goes to the template's server, which the new MASTER's
# weights alone would not pick.
foreach(cast unicast multicast)
  add_test(NAME e2e.galed.sync_v6.${cast}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/ha/sync_v6.sh $<TARGET_FILE:galed>
                   $<TARGET_FILE:galectl> ${cast})
  set_tests_properties(e2e.galed.sync_v6.${cast} PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 60
                       SKIP_RETURN_CODE 77)
endforeach()
