// store/schema.h: platform.db's schema as an ordered list of migrations, applied by PRAGMA user_version.
#ifndef EDGE_PLATFORM_STORE_SCHEMA_H_
#define EDGE_PLATFORM_STORE_SCHEMA_H_

#include "absl/status/status.h"
#include "store/sqlite.h"

namespace edge::platform::store {

// The version this build writes (the number of migrations).
int CurrentSchemaVersion();
// Applies every migration above the file's user_version, each in its own transaction. Fails, changing
// nothing, when the file is newer than this build.
absl::Status MigrateSchema(Database& db);

}  // namespace edge::platform::store

#endif  // EDGE_PLATFORM_STORE_SCHEMA_H_
