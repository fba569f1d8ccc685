# The store layer: JSON patches, one key's authority, the reactor-local stores.
cohort_unit_tests(LINKS cohort_store TESTS json_patch_test key_authority_test local_stores_test rejection_test)
target_link_libraries(local_stores_test PRIVATE cohort_pubsub)
# The "store:<kind>:<id>" channel over real LocalStores and SQLite, with a fake channel socket.
cohort_unit_tests(LINKS cohort_store TESTS store_channel_test)
target_link_libraries(store_channel_test PRIVATE cohort_pubsub)
# The public helpers of apps: reading browser input (cohort/input.hpp) and building JSON Patch
# operations (cohort/patch.hpp), the latter applied through the store's own json_patch.
cohort_unit_tests(LINKS cohort_store TESTS input_test patch_test)
