# galectl (issue 8 section 3): ipvsadm's command line and listings, golden bytes written
# from ipvsadm 1.31's source (ipvsadm.c's format strings and messages), not from our
# renderer.
add_executable(unit_galectl
  unit/galectl/parse_test.cc
  unit/galectl/render_test.cc
)
target_link_libraries(unit_galectl PRIVATE gale_ctl_ipvsadm GTest::gtest_main)
add_test(NAME unit.galectl COMMAND unit_galectl)
set_tests_properties(unit.galectl PROPERTIES LABELS "unit;golden")
