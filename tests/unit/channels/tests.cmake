# The channels layer: the Phoenix V2 serializer, a socket endpoint's channel routing and the
# LongPoll session token.
cohort_unit_tests(LINKS cohort_channels TESTS serializer_test endpoint_test long_poll_test)
