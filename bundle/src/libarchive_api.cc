// libarchive through dlopen, reference-counted (see libarchive_api.h for why).
//
// Unloading is safe because edge_bundle only reaches libarchive's tar and gzip code: nothing it calls
// initialises libxml2 (xar only), whose per-thread state key would otherwise keep a destructor pointing into
// the unloaded library, and none of libarchive's dependencies has constructors, atexit handlers or
// STB_GNU_UNIQUE symbols (which would pin it in memory). Checked on Debian 12 (libarchive 3.6.2, libxml2
// 2.9.14, ICU 72); bundle_libarchive_api_test checks that all of it is unmapped after use.
#include "libarchive_api.h"

#include <dlfcn.h>

#include <mutex>

#include "absl/strings/str_cat.h"

namespace edge::bundle::internal {
namespace {

struct Loaded {
  std::mutex mu;
  void* handle = nullptr;  // guarded by mu
  int holders = 0;         // guarded by mu
  // Written only under mu while holders is 0; holders read it without the lock, which is safe because the
  // write that filled it happened before their Acquire() returned and it is cleared only after they released.
  LibArchive api;
};

Loaded& State() {
  static Loaded* state = new Loaded();  // never destroyed: a handle may be released during static destruction
  return *state;
}

absl::Status MissingLibrary(const char* soname, const char* why) {
  return absl::FailedPreconditionError(absl::StrCat(soname, " could not be loaded (", why,
                                                    "): install the Debian package libarchive13"));
}

template <typename Fn>
void Resolve(void* lib, const char* soname, const char* name, Fn* out, absl::Status* status) {
  if (!status->ok()) return;
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (*out == nullptr) *status = MissingLibrary(soname, absl::StrCat("it has no ", name).c_str());
}

}  // namespace

absl::Status LoadLibArchive(const char* soname, LibArchive* api, void** handle) {
  void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    return MissingLibrary(soname, why != nullptr ? why : "not found");
  }
  absl::Status status;
#define EDGE_LIBARCHIVE_RESOLVE(field) Resolve(lib, soname, "archive_" #field, &api->field, &status)
  EDGE_LIBARCHIVE_RESOLVE(error_string);
  EDGE_LIBARCHIVE_RESOLVE(filter_count);
  EDGE_LIBARCHIVE_RESOLVE(filter_code);
  EDGE_LIBARCHIVE_RESOLVE(read_new);
  EDGE_LIBARCHIVE_RESOLVE(read_free);
  EDGE_LIBARCHIVE_RESOLVE(read_support_filter_gzip);
  EDGE_LIBARCHIVE_RESOLVE(read_support_format_tar);
  EDGE_LIBARCHIVE_RESOLVE(read_open_filename);
  EDGE_LIBARCHIVE_RESOLVE(read_next_header);
  EDGE_LIBARCHIVE_RESOLVE(read_data_block);
  EDGE_LIBARCHIVE_RESOLVE(write_new);
  EDGE_LIBARCHIVE_RESOLVE(write_free);
  EDGE_LIBARCHIVE_RESOLVE(write_add_filter_gzip);
  EDGE_LIBARCHIVE_RESOLVE(write_set_filter_option);
  EDGE_LIBARCHIVE_RESOLVE(write_set_format_pax_restricted);
  EDGE_LIBARCHIVE_RESOLVE(write_open_fd);
  EDGE_LIBARCHIVE_RESOLVE(write_header);
  EDGE_LIBARCHIVE_RESOLVE(write_data);
  EDGE_LIBARCHIVE_RESOLVE(write_close);
  EDGE_LIBARCHIVE_RESOLVE(entry_new);
  EDGE_LIBARCHIVE_RESOLVE(entry_free);
  EDGE_LIBARCHIVE_RESOLVE(entry_pathname);
  EDGE_LIBARCHIVE_RESOLVE(entry_pathname_utf8);
  EDGE_LIBARCHIVE_RESOLVE(entry_hardlink);
  EDGE_LIBARCHIVE_RESOLVE(entry_symlink);
  EDGE_LIBARCHIVE_RESOLVE(entry_symlink_utf8);
  EDGE_LIBARCHIVE_RESOLVE(entry_filetype);
  EDGE_LIBARCHIVE_RESOLVE(entry_perm);
  EDGE_LIBARCHIVE_RESOLVE(entry_size);
  EDGE_LIBARCHIVE_RESOLVE(entry_size_is_set);
  EDGE_LIBARCHIVE_RESOLVE(entry_sparse_count);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_pathname);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_filetype);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_perm);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_size);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_mtime);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_uid);
  EDGE_LIBARCHIVE_RESOLVE(entry_set_gid);
#undef EDGE_LIBARCHIVE_RESOLVE
  if (!status.ok()) {
    dlclose(lib);
    *api = LibArchive();
    return status;
  }
  *handle = lib;
  return absl::OkStatus();
}

absl::StatusOr<ArchiveLibrary> ArchiveLibrary::Acquire() {
  Loaded& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.holders == 0) {
    absl::Status loaded = LoadLibArchive(kLibArchiveSoname, &state.api, &state.handle);
    if (!loaded.ok()) return loaded;
  }
  ++state.holders;
  return ArchiveLibrary(&state.api);
}

ArchiveLibrary& ArchiveLibrary::operator=(ArchiveLibrary&& other) noexcept {
  if (this != &other) {
    Release();
    api_ = other.api_;
    other.api_ = nullptr;
  }
  return *this;
}

void ArchiveLibrary::Release() {
  if (api_ == nullptr) return;
  api_ = nullptr;
  Loaded& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  if (--state.holders > 0) return;
  // The last holder: give the pages of libarchive and its dependencies back (the daemon's idle RSS).
  dlclose(state.handle);
  state.handle = nullptr;
  state.api = LibArchive();
}

bool LibArchiveLoaded() {
  Loaded& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  return state.holders > 0;
}

}  // namespace edge::bundle::internal
