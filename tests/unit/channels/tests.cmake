# The channels layer: the Phoenix V2 serializer and a socket endpoint's channel routing.
cohort_unit_tests(LINKS cohort_channels TESTS serializer_test endpoint_test)
