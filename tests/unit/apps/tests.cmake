# The demo apps' store kinds (examples/demo/apps/*_store.cpp) on the real stores (Cohort::testing).
cohort_unit_tests(LINKS cohort_demo_apps Cohort::testing TESTS apps_stores_test)
