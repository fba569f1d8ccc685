# The live layer's runtime pieces (the template compiler and diff engine have live.cmake).
cohort_test(router_test unit/router_test.cpp)
cohort_test(form_test unit/form_test.cpp)
