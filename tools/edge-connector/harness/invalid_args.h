// harness/invalid_args.h: argument sets that violate a tool's inputSchema, for the conformance checks.
//
// Each case breaks exactly one rule of the schema, starting from a valid example when there is one, so a
// plugin (or host) that accepts it is plainly wrong: malformed JSON, a non-object, a missing required
// property, a property of the wrong type, an unexpected property when additionalProperties is false.
#ifndef EDGE_HARNESS_INVALID_ARGS_H_
#define EDGE_HARNESS_INVALID_ARGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace edge::harness {

struct InvalidArgsCase {
  std::string label;           // e.g. "missing required 'text'"
  std::string arguments_json;  // what the check sends
  std::string field;           // the property at fault, empty when the whole value is wrong
};

// `valid_example` may be empty (the tool declares no example). At most `max_properties` properties get
// their own missing/wrong-type case, so huge schemas stay fast.
std::vector<InvalidArgsCase> DeriveInvalidArguments(std::string_view input_schema, std::string_view valid_example,
                                                    size_t max_properties = 4);

}  // namespace edge::harness

#endif  // EDGE_HARNESS_INVALID_ARGS_H_
