// config/files.h: reading the small local files of an installation (config, credentials, tokens).
//
// errno-precise on purpose: a missing file is a normal, optional layer, while an unreadable one is an error
// the user must fix, and the messages differ.
#ifndef EDGE_RUNTIME_CONFIG_FILES_H_
#define EDGE_RUNTIME_CONFIG_FILES_H_

#include <string>

namespace edge::runtime::config {

// Reads the whole file (at most 16 MiB). Returns 0, or the errno of the failure (ENOENT when missing, EFBIG
// when too large).
int ReadSmallFile(const std::string& path, std::string* out);

}  // namespace edge::runtime::config

#endif  // EDGE_RUNTIME_CONFIG_FILES_H_
