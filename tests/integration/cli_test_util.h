// cli_test_util.h: shared helpers of the CLI integration tests (paths, output dumps, JSON parsing).
#ifndef EDGE_TESTS_INTEGRATION_CLI_TEST_UTIL_H_
#define EDGE_TESTS_INTEGRATION_CLI_TEST_UTIL_H_

#include <rapidjson/document.h>

#include <string>

#include "subprocess.h"

namespace edge::testing {

// Printed on failure so a broken assertion shows what the binary said.
inline std::string Dump(const ProcessResult& r) {
  return "exit code " + std::to_string(r.exit_code) + (r.signal ? " (signal " + std::to_string(r.signal) + ")" : "") +
         "\n--- stdout ---\n" + r.out + "\n--- stderr ---\n" + r.err;
}

// Parses stdout as one JSON document (trailing newline allowed).
inline rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

}  // namespace edge::testing

#endif  // EDGE_TESTS_INTEGRATION_CLI_TEST_UTIL_H_
