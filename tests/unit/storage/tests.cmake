# The storage layer: SQLite (and its backup), the data directory lock, and PostgreSQL against a
# real server that the test starts itself (tests/support/pg_fixture.sh).
cohort_unit_tests(LINKS cohort_storage TESTS sqlite_storage_test data_dir_lock_test sqlite_backup_test
  postgres_storage_test)
target_compile_definitions(postgres_storage_test PRIVATE COHORT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
