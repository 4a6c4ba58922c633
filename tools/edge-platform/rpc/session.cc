#include "rpc/session.h"

#include <libwebsockets.h>

#include <cstring>

namespace edge::platform::rpc_internal {

const char* SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kAwaitHello:
    case SessionState::kHello: return "hello";
    case SessionState::kServing: return "serving";
    case SessionState::kDraining: return "draining";
    case SessionState::kEnded: return "closed";
  }
  return "closed";
}

Session::Session(lws* wsi, UpgradeIdentity id, int64_t now_mono_ms, int64_t now_wall_ms)
    : identity(std::move(id)),
      connected_mono_ms(now_mono_ms),
      connected_wall_ms(now_wall_ms),
      last_seen_mono_ms(now_mono_ms),
      last_seen_wall_ms(now_wall_ms),
      wsi_(wsi) {}

void Session::Send(std::string message) {
  if (close_requested()) return;
  outq_.push_back(std::move(message));
  lws_callback_on_writable(wsi_);
}

void Session::RequestClose(uint16_t code, std::string reason) {
  if (close_requested()) return;
  close_code_ = code;
  close_reason_ = std::move(reason);
  lws_callback_on_writable(wsi_);
  // A half-open peer may never drain the queue: bound the close so the slot and the memory come back.
  lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, 5);
}

int Session::OnWriteable() {
  while (!outq_.empty() && !lws_send_pipe_choked(wsi_)) {
    const std::string& m = outq_.front();
    tx_.resize(LWS_PRE + m.size());
    std::memcpy(tx_.data() + LWS_PRE, m.data(), m.size());
    // lws buffers a partial send itself and reports the full length; anything shorter is an error.
    const int n = lws_write(wsi_, tx_.data() + LWS_PRE, m.size(), LWS_WRITE_TEXT);
    if (n < static_cast<int>(m.size())) return -1;
    outq_.pop_front();
  }
  if (!outq_.empty()) {
    lws_callback_on_writable(wsi_);
    return 0;
  }
  if (tx_.capacity() > 64 * 1024) std::vector<unsigned char>().swap(tx_);  // do not keep a 4 MiB buffer around
  if (close_requested()) {
    if (lws_send_pipe_choked(wsi_)) {  // let the last message leave before the close frame
      lws_callback_on_writable(wsi_);
      return 0;
    }
    lws_close_reason(wsi_, static_cast<lws_close_status>(close_code_),
                     reinterpret_cast<unsigned char*>(close_reason_.data()), close_reason_.size());
    return -1;
  }
  return 0;
}

Session::Rx Session::Append(const void* data, size_t len, bool final_chunk) {
  if (!in_message_) {
    rx_.clear();
    in_message_ = true;
    rx_discard_ = false;
  }
  if (!rx_discard_) {
    if (rx_.size() + len > protocol::kMaxMessageBytes) {
      rx_discard_ = true;
      std::string().swap(rx_);
    } else {
      rx_.append(static_cast<const char*>(data), len);
    }
  }
  if (!final_chunk) return rx_discard_ ? Rx::kTooLarge : Rx::kPartial;
  in_message_ = false;
  return rx_discard_ ? Rx::kTooLarge : Rx::kComplete;
}

std::string Session::NextRequestId() { return protocol::StringId("p-" + std::to_string(next_id_++)); }

}  // namespace edge::platform::rpc_internal
