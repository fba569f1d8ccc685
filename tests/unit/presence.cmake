cohort_test(presence_state_test unit/presence_state_test.cpp)
cohort_test(tracker_test unit/tracker_test.cpp)
cohort_test(key_authority_test unit/key_authority_test.cpp)
cohort_test(presence_watch_test unit/presence_watch_test.cpp)
