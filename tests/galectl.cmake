# galectl (issue 8 section 3): ipvsadm's command line and listings, golden bytes written
# from ipvsadm 1.31's source (ipvsadm.c's format strings and messages), not from our
# renderer.
add_executable(unit_galectl
  unit/galectl/parse_test.cc
  unit/galectl/render_test.cc
  unit/galectl/request_test.cc
  unit/galectl/client_addr_test.cc
)
target_link_libraries(unit_galectl PRIVATE gale_ctl_ipvsadm_request GTest::gtest_main)
add_test(NAME unit.galectl COMMAND unit_galectl)
set_tests_properties(unit.galectl PROPERTIES LABELS "unit;golden")

# galectl against galed in the NAT lab: -A/-a build a service curl reaches, an awk script
# reads -L -n, -S | -C | -R round trip, refusals leave -S unchanged (root only; 77: skip).
add_test(NAME e2e.galectl COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lab/galectl.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e.galectl PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 180
                     SKIP_RETURN_CODE 77)
