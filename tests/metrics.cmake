# Metrics (issue 8 section 4): the Prometheus renderer and the HTTP listener (unit), a
# live scrape of galed in the lab checked by promtool (e2e).
add_executable(unit_metrics
  unit/ctl/prometheus_test.cc
  unit/ctl/metrics_listener_test.cc
)
target_link_libraries(unit_metrics PRIVATE gale_ctl_socket GTest::gtest_main)
add_test(NAME unit.metrics COMMAND unit_metrics)
set_tests_properties(unit.metrics PROPERTIES LABELS unit)
# galed in the lab, scraped live: promtool, counters against an nftables reference, and
# the scrape cost with 1000 services (root only; 77: skip).
add_test(NAME e2e.galed.metrics COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lab/metrics.sh ${CMAKE_BINARY_DIR})
set_tests_properties(e2e.galed.metrics PROPERTIES LABELS e2e RUN_SERIAL TRUE TIMEOUT 180
                     SKIP_RETURN_CODE 77)
