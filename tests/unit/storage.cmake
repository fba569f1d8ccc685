cohort_test(sqlite_storage_test unit/sqlite_storage_test.cpp)
# Against a real PostgreSQL that the test starts itself (tests/support/pg_fixture.sh).
cohort_test(postgres_storage_test unit/postgres_storage_test.cpp)
target_compile_definitions(postgres_storage_test PRIVATE COHORT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
cohort_test(data_dir_lock_test unit/data_dir_lock_test.cpp)
cohort_test(sqlite_backup_test unit/sqlite_backup_test.cpp)
