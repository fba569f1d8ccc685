// sqlite_backup.hpp — `cohort backup` and `cohort restore` of the SQLite store file
// <data_dir>/cohort.db, with SQLite's online backup API.
//
// Backup guarantees: the copy is one consistent snapshot of the store — every transaction the
// node committed before the snapshot point, none after (so every key is at one of its committed
// versions, snapshot and op log in agreement) — taken while a node keeps serving: the source is
// opened read-only, and in WAL mode a reader never blocks the node's commits. The snapshot point
// is the start of one read transaction held for the whole copy; the pages are copied in steps
// inside it (sqlite3_backup_step reuses an open read transaction and never restarts while it
// lasts), which allows pacing (max_mib_per_s) with the same consistency as one step(-1). The
// price of a long copy: the node's WAL cannot be checkpointed past the snapshot until it ends,
// so it grows by what is committed meanwhile. The copy is written next to OUT, settled into a
// single self-contained file (rollback journal mode, no -wal), verified (integrity_check, schema
// version, and its key/op/snapshot counts equal the source snapshot's), fsynced, and only then
// renamed to OUT: OUT is the whole verified copy or nothing.
// Restore guarantees: IN is verified first (integrity_check, a Cohort schema not newer than
// this build's); the data directory's lock (data_dir_lock.hpp) is held throughout, so no node
// serves it meanwhile; the new cohort.db appears by one rename of a verified, fsynced copy; the
// replaced one (checkpointed, so it is whole without its -wal) stays as cohort.db.before-restore.
// What neither copies: <data_dir>/secret (the token key) and the lock file.
// Failures are values: a message naming the file concerned; nothing half-written is left at
// OUT or at <data_dir>/cohort.db (a temporary file is removed when the copy fails).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cohort::storage {

// What a store file holds, counted inside the copy's read transaction.
struct StoreCensus {
  std::uint64_t keys = 0;       // distinct keys with ops or a snapshot
  std::uint64_t ops = 0;        // rows of the op log (those after each key's snapshot)
  std::uint64_t snapshots = 0;  // snapshot rows (at most one per key)
  int schema_version = 0;       // PRAGMA user_version
  std::uint64_t bytes = 0;      // size of the written file (OUT, or the restored cohort.db)

  bool same_rows(const StoreCensus& o) const {
    return keys == o.keys && ops == o.ops && snapshots == o.snapshots && schema_version == o.schema_version;
  }
};

struct BackupOptions {
  bool force = false;         // replace an existing OUT (else it is refused)
  double max_mib_per_s = 0;   // pace the copy to spare the node's disk; 0 = as fast as it goes
};

// `cohort backup`: copies <data_dir>/cohort.db into out (see the guarantees above). Returns the
// error, or nullopt with `copied` filled.
std::optional<std::string> backup_store(const std::string& data_dir, const std::string& out,
                                        const BackupOptions& options, StoreCensus& copied);

struct RestoreOutcome {
  StoreCensus restored;
  std::string kept;  // where the replaced cohort.db now is; empty when there was none
};

// `cohort restore`: replaces <data_dir>/cohort.db by a verified copy of in. A data directory
// that already has a cohort.db is refused unless force (then the old one is kept as
// cohort.db.before-restore, which must not exist yet: an earlier restore's is never replaced).
std::optional<std::string> restore_store(const std::string& data_dir, const std::string& in, bool force,
                                         RestoreOutcome& outcome);

}  // namespace cohort::storage
