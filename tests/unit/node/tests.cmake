# The node: settings (flags, environment, config file, validation) and a node's lifecycle.
cohort_unit_tests(LINKS cohort_node TESTS config_test node_test readiness_test)
