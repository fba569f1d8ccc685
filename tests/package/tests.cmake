# Cohort as an installed package (tests/package/install.test.mjs): cmake --install to a temporary
# prefix, examples/demo and examples/kanban built against it with find_package(Cohort), the
# installed binary run from an empty directory, kanban in Chromium (tests/package/kanban.mjs).
# Builds the demo and kanban a second time: give it time. Chromium: one browser test at a time.
add_test(NAME package_install COMMAND ${NODE} --test ${CMAKE_CURRENT_LIST_DIR}/install.test.mjs
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(package_install PROPERTIES
  ENVIRONMENT "COHORT_BUILD_DIR=${PROJECT_BINARY_DIR};COHORT_ARTIFACTS=${PROJECT_BINARY_DIR}/test-artifacts"
  TIMEOUT 900 LABELS package RESOURCE_LOCK "chromium;package_build")

# Cohort built without the cluster (tests/package/alone.test.mjs): -DCOHORT_WITH_CLUSTER=OFF into
# build/alone, no hiredis or libpq linked, --cluster and PostgreSQL refused with a reason, the
# single-node conformance tests against that binary. One package build at a time.
add_test(NAME package_alone COMMAND ${NODE} --test ${CMAKE_CURRENT_LIST_DIR}/alone.test.mjs
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(package_alone PROPERTIES
  ENVIRONMENT "COHORT_BUILD_DIR=${PROJECT_BINARY_DIR}" TIMEOUT 1200 LABELS package RESOURCE_LOCK package_build)

# `cohort new` and `cohort gen live` (tests/package/scaffold.test.mjs): the installed cohort
# writes an app into a temporary directory, which builds against the installed package and
# passes its own tests (harness tests and a Chromium test) at once.
add_test(NAME package_scaffold COMMAND ${NODE} --test ${CMAKE_CURRENT_LIST_DIR}/scaffold.test.mjs
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(package_scaffold PROPERTIES
  ENVIRONMENT "COHORT_BUILD_DIR=${PROJECT_BINARY_DIR}"
  TIMEOUT 900 LABELS package RESOURCE_LOCK "chromium;package_build")
