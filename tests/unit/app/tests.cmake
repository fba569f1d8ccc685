# The app entry point: options read like the node's settings, commands, exit codes.
cohort_unit_tests(LINKS cohort TESTS app_test)
