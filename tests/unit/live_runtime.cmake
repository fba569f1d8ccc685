# The live layer's runtime pieces (the template compiler and diff engine have live.cmake), and
# the query-string parser they share with the channels layer.
cohort_test(router_test unit/router_test.cpp)
cohort_test(form_test unit/form_test.cpp)
cohort_test(query_test unit/query_test.cpp)
