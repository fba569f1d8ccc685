# The store layer: JSON patches, one key's authority, the reactor-local stores.
cohort_unit_tests(LINKS cohort_store TESTS json_patch_test key_authority_test local_stores_test rejection_test)
target_link_libraries(local_stores_test PRIVATE cohort_pubsub)
