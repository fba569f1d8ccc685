# The demo apps' store kinds (examples/demo/apps/*_store.cpp): op handlers over states, and their roles.
cohort_unit_tests(LINKS cohort_demo_apps TESTS apps_stores_test)
