# The demo apps (examples/demo/apps): their store kinds on the real stores, and the quiz page
# with the demo's own templates, through Cohort::testing.
cohort_unit_tests(LINKS cohort_demo_apps Cohort::testing TESTS apps_stores_test quiz_view_test)
target_compile_definitions(quiz_view_test PRIVATE COHORT_DEMO_TEMPLATES="${PROJECT_SOURCE_DIR}/templates")
