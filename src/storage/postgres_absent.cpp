// postgres_absent.cpp — open_postgres_storage() in a build without PostgreSQL (COHORT_WITH_CLUSTER=OFF,
// cmake/layers.cmake builds this file instead of postgres_storage.cpp): it opens nothing and
// says why, so an app calling it learns at start-up, never later.
#include "cohort/storage.hpp"

namespace cohort {

std::unique_ptr<Storage> open_postgres_storage(const std::string&, std::string& error, const StoreLimits&) {
  error = "this Cohort was built without PostgreSQL (COHORT_WITH_CLUSTER=OFF): use SQLite (open_sqlite_storage)";
  return nullptr;
}

}  // namespace cohort
