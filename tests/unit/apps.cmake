# The demo apps' store kinds (src/apps/*_store.cpp): op handlers over states, and their roles.
cohort_test(apps_stores_test unit/apps_stores_test.cpp)
