# The demo apps' store kinds (src/apps/*_store.cpp): op handlers over states, and their roles.
cohort_unit_tests(LINKS cohort_apps TESTS apps_stores_test)
