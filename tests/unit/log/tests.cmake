# The log layer: the strict parsing of --log-level / --log-levels / --log-format, the throttle
# window of event kinds a client can provoke, and the text and JSON lines (escaping included).
cohort_unit_tests(LINKS cohort_log TESTS levels_test rate_window_test line_test)
