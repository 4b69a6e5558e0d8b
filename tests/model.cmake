# The control model: ipvsadm's operations on ctl::Model, the control socket's JSON
# (ServiceSpec, DestSpec, Listing), the commands, the rate estimator.
add_executable(unit_model
  unit/model/model_json_test.cc
  unit/model/model_test.cc
  unit/model/rate_estimator_test.cc
  unit/model/client_addr_test.cc
)
target_link_libraries(unit_model PRIVATE gale_ctl gale_ctl_socket GTest::gtest_main)
add_test(NAME unit.model COMMAND unit_model)
set_tests_properties(unit.model PROPERTIES LABELS unit)

# galed in the lab: a service and real servers added through the control socket carry
# curl's connections; set_health and a reload act on them (tests/e2e/lab/runtime.sh).
add_test(NAME e2e.galed.runtime
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lab/runtime.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e.galed.runtime PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 120
                     SKIP_RETURN_CODE 77)
