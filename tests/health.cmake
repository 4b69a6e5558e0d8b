# health/: the checkers' wire formats and plan (pure), and the engine against real
# sockets and processes on loopback (unit); every checker against real servers -- nginx,
# openssl s_server, socat, dnsmasq, an SMTP sink -- in a namespace of its own (e2e, root).
add_executable(unit_health
  unit/health/wire_test.cc
  unit/health/plan_test.cc
  unit/health/engine_test.cc
)
target_link_libraries(unit_health PRIVATE gale_health GTest::gtest_main)
add_test(NAME unit.health COMMAND unit_health)
set_tests_properties(unit.health PROPERTIES LABELS unit TIMEOUT 120)


add_executable(e2e_health e2e/health/checkers_test.cc)
target_link_libraries(e2e_health PRIVATE gale_health GTest::gtest_main)
add_test(NAME e2e.health.checkers
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/health/checkers.sh $<TARGET_FILE:e2e_health>)
set_tests_properties(e2e.health.checkers PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 180
                     SKIP_RETURN_CODE 77)

# The detection budget through galed: a stopped nginx marked down within
# delay_loop + retry x (connect_timeout + delay_before_retry) + 10%, no wrk errors outside
# that window, back up after a restart (label e2e, root).
foreach(mode dr nat)
  add_test(NAME e2e.galed.health_budget.${mode}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lab/health_budget.sh ${CMAKE_BINARY_DIR} ${mode})
  set_tests_properties(e2e.galed.health_budget.${mode} PROPERTIES LABELS e2e RUN_SERIAL TRUE
                       TIMEOUT 180 SKIP_RETURN_CODE 77)
endforeach()

# keepalived's quorum, quorum_up/quorum_down and sorry_server through galed (NAT), with
# real nginx servers (label e2e, root).
add_test(NAME e2e.galed.quorum
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lab/quorum.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e.galed.quorum PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 120
                     SKIP_RETURN_CODE 77)
