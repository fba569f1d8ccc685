// postgres_absent.cpp — open_postgres_storage() in a build without PostgreSQL (COHORT_WITH_CLUSTER=OFF,
// cmake/layers.cmake builds this file instead of postgres_storage.cpp): it opens nothing and
// says why, so an app calling it learns at start-up, never later.
#include "cohort/storage.hpp"
#include "storage/storage_counters.hpp"

namespace cohort {

std::unique_ptr<Storage> open_postgres_storage(const std::string&, std::string& error, const StoreLimits&) {
  error = "this Cohort was built without PostgreSQL (COHORT_WITH_CLUSTER=OFF): use SQLite (open_sqlite_storage)";
  return nullptr;
}

std::unique_ptr<Storage> storage::open_postgres_recording(const std::string& url, std::string& error,
                                                        const StoreLimits& limits, StorageCounters*) {
  return cohort::open_postgres_storage(url, error, limits);
}

}  // namespace cohort
