cohort_test(json_patch_test unit/json_patch_test.cpp)
cohort_test(local_stores_test unit/local_stores_test.cpp)
