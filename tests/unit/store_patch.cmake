cohort_test(json_patch_test unit/json_patch_test.cpp)
