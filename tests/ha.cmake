# ha/: the VRRP advertisement codec and state machine (pure: no sockets, injected time).
add_executable(unit_ha
  unit/ha/vrrp_packet_test.cc
  unit/ha/vrrp_machine_test.cc
)
target_link_libraries(unit_ha PRIVATE gale_ha gale_test_support GTest::gtest_main)
add_test(NAME unit.ha COMMAND unit_ha)
set_tests_properties(unit.ha PROPERTIES LABELS unit)
