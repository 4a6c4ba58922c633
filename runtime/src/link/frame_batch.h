// link/frame_batch.h: several queued messages framed as masked WebSocket text frames in one buffer.
//
// lws_write frames and masks one message per call, and each call is a send() plus a getrandom() for the
// mask. Under load the link thread had 30-60 small answers queued per writable callback, so it spent more in
// those syscalls than in the rest of an answer. The link frames such a run itself (RFC 6455 §5.2, client to
// server: FIN, opcode 1, masked) and hands lws the bytes as one raw write. Masks come from the kernel's
// random source (getrandom), 4 bytes per frame, fetched 512 bytes at a time.
#ifndef EDGE_RUNTIME_LINK_FRAME_BATCH_H_
#define EDGE_RUNTIME_LINK_FRAME_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edge::runtime::link {

class FrameBatch {
 public:
  // `headroom` bytes stay free in front of the frames (lws's LWS_PRE).
  explicit FrameBatch(size_t headroom) : headroom_(headroom) {}

  void Clear() { buffer_.resize(headroom_); }
  // Appends `payload` as one masked text frame. False when no random mask could be had (the caller then
  // falls back to lws_write, which fetches its own).
  bool AppendText(std::string_view payload);

  // The frames, after the headroom; `frames()` points into a buffer with headroom bytes before it.
  unsigned char* frames() { return reinterpret_cast<unsigned char*>(buffer_.data()) + headroom_; }
  size_t size() const { return buffer_.size() - headroom_; }

  // Bytes a frame of a `payload_bytes` payload takes (header, mask and payload).
  static size_t FrameBytes(size_t payload_bytes);

 private:
  bool NextMask(unsigned char mask[4]);

  size_t headroom_;
  std::string buffer_ = std::string(headroom_, '\0');
  unsigned char random_[512];
  size_t random_left_ = 0;
};

}  // namespace edge::runtime::link

#endif  // EDGE_RUNTIME_LINK_FRAME_BATCH_H_
