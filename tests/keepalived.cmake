# The keepalived config corpus (issue 8, section 1): Debian's keepalived samples through
# real keepalived -t and galed -t (root: a network namespace; 77 skips).
add_test(NAME keepalived.samples
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/keepalived/samples.sh ${CMAKE_BINARY_DIR})
set_tests_properties(keepalived.samples PROPERTIES LABELS e2e TIMEOUT 300 SKIP_RETURN_CODE 77)
