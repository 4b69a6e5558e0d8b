# The keepalived config corpus (issue 8, section 1): Debian's keepalived samples through
# real keepalived -t and galed -t (root: a network namespace; 77 skips).
add_test(NAME keepalived.samples
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/keepalived/samples.sh ${CMAKE_BINARY_DIR})
set_tests_properties(keepalived.samples PROPERTIES LABELS e2e TIMEOUT 300 SKIP_RETURN_CODE 77)

# galed -t on a plain keepalived.conf (no gale block) with keepalived's flags: it says
# what it derived and accepts the file.
add_test(NAME keepalived.galed.derived
         COMMAND galed -n -l -D -i lb1 -t -f ${CMAKE_CURRENT_SOURCE_DIR}/keepalived/plain.conf)
set_tests_properties(keepalived.galed.derived PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "interfaces \\+= eth0 \\(vrrp_instance VI_1 at [^)]*plain.conf:6:1\\).*configuration OK")
# -p PIDFILE is written while galed runs and removed when it exits (here: a refused
# config, so galed exits at once; the file must not be left behind).
add_test(NAME keepalived.galed.pidfile
         COMMAND sh -c "f=$(mktemp -u); $<TARGET_FILE:galed> -p $f -f /nonexistent.conf; test ! -e $f")
set_tests_properties(keepalived.galed.pidfile PROPERTIES LABELS unit)
