# The channels layer: the Phoenix V2 serializer (and its envelope scanner, checked against the
# full parse), a socket endpoint's channel routing and the LongPoll session token.
cohort_unit_tests(LINKS cohort_channels TESTS serializer_test envelope_scan_test endpoint_test long_poll_test)
