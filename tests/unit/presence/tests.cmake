# The presence layer: presence state and diffs, the tracker, watchers.
cohort_unit_tests(LINKS cohort_presence TESTS presence_state_test tracker_test presence_watch_test)
