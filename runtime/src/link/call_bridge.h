// link/call_bridge.h: the pure pieces of handing tool.invoke to the executor and answering it
// (docs/protocol.md §4.3–4.5): the CallRequest built from invoke params, progress coalescing, and the encoded
// response for a CallOutcome (with _meta.elapsedMs and the 4 MiB result cap).
//
// The link's event loop owns the per-call state; executor callbacks never touch it directly (they post to
// the link's queue), so nothing here is locked.
#ifndef EDGE_RUNTIME_LINK_CALL_BRIDGE_H_
#define EDGE_RUNTIME_LINK_CALL_BRIDGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/executor.h"

namespace edge::runtime::link {

// At most one progress notification per interval for one call, keeping the latest report.
class ProgressCoalescer {
 public:
  explicit ProgressCoalescer(absl::Duration interval) : interval_(interval) {}

  // A report arrived at `now`: returned when it may go out now, otherwise kept (replacing an older one).
  std::optional<Progress> Offer(const Progress& progress, absl::Time now);
  // The kept report, when its slot has come at `now`.
  std::optional<Progress> TakeDue(absl::Time now);
  // The kept report whatever the time: flushed right before the call's response.
  std::optional<Progress> TakePending();
  // When the kept report may go out; nullopt when nothing is kept.
  std::optional<absl::Time> due() const;

 private:
  absl::Duration interval_;
  std::optional<absl::Time> last_sent_;
  std::optional<Progress> pending_;
};

// The executor request for an invoke (its strings moved out of `params`); hostname/platform are the
// connector's own values.
CallRequest BuildCallRequest(protocol::InvokeParams params, std::string_view hostname, std::string_view platform);

// -32602 with data.param (an envelope problem, e.g. "/context/orgId").
protocol::RpcError InvalidParamError(std::string message, std::string_view param);

// The tool.progress notification for one report.
std::string EncodeProgress(std::string_view call_id, const Progress& progress);

struct CompletionContext {
  std::string_view tool;
  int64_t overload_retry_after_ms = 1000;
  int64_t running = 0;
  int64_t queued = 0;
  size_t max_message_bytes = protocol::kMaxMessageBytes;
};
// The response to a tool.invoke with raw id token `id`: the result (plus _meta.elapsedMs), the mapped error,
// or -32002 result_too_large when the encoded result would exceed the message limit.
std::string EncodeCompletion(std::string_view id, const CallOutcome& outcome, const CompletionContext& context);
// The same, written into `out` (replacing its contents but keeping its capacity, so a recycled buffer
// usually needs no allocation). Returns true when a successful result was replaced by result_too_large.
bool EncodeCompletionInto(std::string_view id, const CallOutcome& outcome, const CompletionContext& context,
                          std::string& out);

}  // namespace edge::runtime::link

#endif  // EDGE_RUNTIME_LINK_CALL_BRIDGE_H_
