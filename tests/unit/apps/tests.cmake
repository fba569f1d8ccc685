# The demo apps (examples/demo/apps): their store kinds on the real stores, and the quiz and
# incident pages (moderation, field leases on the held clock) with the demo's own templates,
# through Cohort::testing.
cohort_unit_tests(LINKS cohort_demo_apps Cohort::testing TESTS apps_stores_test quiz_view_test incident_view_test)
foreach(t quiz_view_test incident_view_test)
  target_compile_definitions(${t} PRIVATE COHORT_DEMO_TEMPLATES="${PROJECT_SOURCE_DIR}/templates")
endforeach()
