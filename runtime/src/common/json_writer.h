// common/json_writer.h: the runtime uses the protocol library's JSON writer (one writer for both sides).
#ifndef EDGE_RUNTIME_COMMON_JSON_WRITER_H_
#define EDGE_RUNTIME_COMMON_JSON_WRITER_H_

#include "edge/protocol/json_writer.h"

namespace edge::runtime {
using protocol::AppendJsonString;
using protocol::JsonWriter;
}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_COMMON_JSON_WRITER_H_
