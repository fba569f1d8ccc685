cohort_test(template_test unit/template_test.cpp)
cohort_test(rendering_test unit/rendering_test.cpp)
