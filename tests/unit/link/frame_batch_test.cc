// FrameBatch (runtime/src/link/frame_batch.cc): frames that a WebSocket server reads back as the messages,
// at each length encoding, with a fresh mask per frame.
#include "link/frame_batch.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace edge::runtime::link {
namespace {

struct Frame {
  unsigned char first = 0;
  std::string mask;
  std::string payload;
};

// The server's side of RFC 6455 §5.2 for client frames: header, length, mask, unmasked payload.
std::vector<Frame> Decode(const unsigned char* p, size_t size) {
  std::vector<Frame> frames;
  size_t i = 0;
  while (i < size) {
    Frame f;
    f.first = p[i++];
    EXPECT_TRUE(p[i] & 0x80) << "client frames are masked";
    uint64_t n = p[i++] & 0x7F;
    if (n == 126) {
      n = (uint64_t{p[i]} << 8) | p[i + 1];
      i += 2;
    } else if (n == 127) {
      n = 0;
      for (int k = 0; k < 8; ++k) n = (n << 8) | p[i++];
    }
    f.mask.assign(reinterpret_cast<const char*>(p + i), 4);
    i += 4;
    for (uint64_t k = 0; k < n; ++k) f.payload += static_cast<char>(p[i + k] ^ static_cast<unsigned char>(f.mask[k & 3]));
    i += n;
    frames.push_back(f);
  }
  EXPECT_EQ(i, size) << "frames end exactly at the end of the batch";
  return frames;
}

TEST(FrameBatchTest, EveryLengthEncodingDecodesToTheMessage) {
  FrameBatch batch(16);
  batch.Clear();
  const std::vector<std::string> messages = {
      "", "{\"jsonrpc\":\"2.0\"}", std::string(125, 'a'), std::string(126, 'b'), std::string(65535, 'c'),
      std::string(65536, 'd'), std::string(70000, 'e')};
  size_t expected_bytes = 0;
  for (const std::string& m : messages) {
    ASSERT_TRUE(batch.AppendText(m));
    expected_bytes += FrameBatch::FrameBytes(m.size());
  }
  ASSERT_EQ(batch.size(), expected_bytes);
  std::vector<Frame> frames = Decode(batch.frames(), batch.size());
  ASSERT_EQ(frames.size(), messages.size());
  for (size_t k = 0; k < messages.size(); ++k) {
    EXPECT_EQ(frames[k].first, 0x81) << "FIN + text, frame " << k;
    EXPECT_EQ(frames[k].payload, messages[k]) << "frame " << k;
  }
  EXPECT_EQ(FrameBatch::FrameBytes(125), 2u + 4 + 125);
  EXPECT_EQ(FrameBatch::FrameBytes(126), 4u + 4 + 126);
  EXPECT_EQ(FrameBatch::FrameBytes(65536), 10u + 4 + 65536);
}

// The mask is applied 8 bytes at a time plus a tail: every length around that stride, with varied bytes.
TEST(FrameBatchTest, PayloadsOfEveryShortLengthUnmaskToTheirBytes) {
  FrameBatch batch(16);
  batch.Clear();
  std::vector<std::string> messages;
  for (size_t length = 0; length <= 40; ++length) {
    std::string m;
    for (size_t k = 0; k < length; ++k) m += static_cast<char>('!' + (k * 7 + length) % 90);
    messages.push_back(m);
    ASSERT_TRUE(batch.AppendText(m));
  }
  std::vector<Frame> frames = Decode(batch.frames(), batch.size());
  ASSERT_EQ(frames.size(), messages.size());
  for (size_t k = 0; k < messages.size(); ++k) EXPECT_EQ(frames[k].payload, messages[k]) << "length " << k;
}

TEST(FrameBatchTest, EachFrameHasItsOwnMaskAndClearKeepsTheHeadroom) {
  FrameBatch batch(16);
  batch.Clear();
  for (int k = 0; k < 300; ++k) ASSERT_TRUE(batch.AppendText("x"));  // crosses the 512-byte random refill
  std::set<std::string> masks;
  for (const Frame& f : Decode(batch.frames(), batch.size())) masks.insert(f.mask);
  EXPECT_GT(masks.size(), 290u) << "masks are random, so nearly all 300 differ";
  batch.Clear();
  EXPECT_EQ(batch.size(), 0u);
  ASSERT_TRUE(batch.AppendText("y"));
  EXPECT_EQ(Decode(batch.frames(), batch.size()).at(0).payload, "y");
}

}  // namespace
}  // namespace edge::runtime::link
