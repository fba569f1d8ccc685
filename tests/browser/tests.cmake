# Browser tests: live pages in headless Chromium (Debian's chromium, driven by playwright-core),
# several browser contexts at once against a running node. Each tests/browser/*.test.mjs is one
# CTest test, `browser_<name>`; each starts its own node from COHORT_BIN. Screenshots go to
# build/test-artifacts/. One browser test runs at a time (2 cores).
cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} browser 180 browser COHORT_ARTIFACTS=${PROJECT_BINARY_DIR}/test-artifacts)
set_tests_properties(${COHORT_NODE_TESTS} PROPERTIES RESOURCE_LOCK chromium)
