// The durable delivery queue (runtime/src/relay/disk_queue.h): files, order, bounds, dead-letter, recovery.
#include "relay/disk_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "relay_test_util.h"

namespace edge::runtime::relay {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FileNames;
using testing::ReadFile;
using testing::TempDir;

std::unique_ptr<DiskQueue> Open(const TempDir& dir, QueueLimits limits = {}) {
  absl::StatusOr<std::unique_ptr<DiskQueue>> q = DiskQueue::Open(dir.path(), limits, nullptr);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? *std::move(q) : nullptr;
}

std::vector<std::string> Ids(const std::vector<QueuedDelivery>& deliveries) {
  std::vector<std::string> ids;
  for (const QueuedDelivery& d : deliveries) ids.push_back(d.delivery_id);
  return ids;
}

TEST(DiskQueueTest, EachDeliveryIsOnePrivateFileWithTheParams) {
  TempDir dir;
  auto q = Open(dir);
  absl::StatusOr<QueuedDelivery> d = q->Enqueue("01HVA", R"({"deliveryId":"01HVA"})");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->seq, 1u);
  EXPECT_THAT(FileNames(q->queue_dir()), ElementsAre("00000000000000000001-01HVA.json"));
  EXPECT_EQ(ReadFile(q->queue_dir() / "00000000000000000001-01HVA.json"), R"({"deliveryId":"01HVA"})");
  struct stat st;
  ASSERT_EQ(stat((q->queue_dir() / "00000000000000000001-01HVA.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(q->queue_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  absl::StatusOr<std::string> read = q->Read(*d);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, R"({"deliveryId":"01HVA"})");
  EXPECT_EQ(q->Stats().deliveries, 1);
  EXPECT_EQ(q->Stats().bytes, 22);
}

TEST(DiskQueueTest, OldestComeInReceiptOrderSkippingThoseInFlight) {
  TempDir dir;
  auto q = Open(dir);
  for (const char* id : {"A", "B", "C", "D"}) ASSERT_TRUE(q->Enqueue(id, "{}").ok());
  EXPECT_THAT(Ids(q->Oldest(10, {})), ElementsAre("A", "B", "C", "D"));
  EXPECT_THAT(Ids(q->Oldest(2, {})), ElementsAre("A", "B"));
  EXPECT_THAT(Ids(q->Oldest(2, {1, 2})), ElementsAre("C", "D"));
  ASSERT_TRUE(q->Remove(2).ok());
  ASSERT_TRUE(q->Remove(2).ok()) << "removing twice is harmless";
  EXPECT_THAT(Ids(q->Oldest(10, {})), ElementsAre("A", "C", "D"));
  EXPECT_EQ(FileNames(q->queue_dir()).size(), 3u);
}

TEST(DiskQueueTest, DeadLetterMovesTheFile) {
  TempDir dir;
  auto q = Open(dir);
  ASSERT_TRUE(q->Enqueue("A", R"({"x":1})").ok());
  ASSERT_TRUE(q->DeadLetter(1).ok());
  EXPECT_TRUE(FileNames(q->queue_dir()).empty());
  EXPECT_THAT(FileNames(q->dead_letter_dir()), ElementsAre("00000000000000000001-A.json"));
  EXPECT_EQ(ReadFile(q->dead_letter_dir() / "00000000000000000001-A.json"), R"({"x":1})");
  EXPECT_EQ(q->Stats().deliveries, 0);
  EXPECT_EQ(q->Stats().bytes, 0);
  EXPECT_EQ(q->Stats().dead_lettered, 1);
}

TEST(DiskQueueTest, TheCountLimitRefusesWithTheDocumentedMessageAndStoresNothing) {
  TempDir dir;
  auto q = Open(dir, QueueLimits{2, 1 << 20});
  ASSERT_TRUE(q->Enqueue("A", "{}").ok());
  ASSERT_TRUE(q->Enqueue("B", "{}").ok());
  absl::StatusOr<QueuedDelivery> full = q->Enqueue("C", "{}");
  ASSERT_FALSE(full.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(full.status()));
  EXPECT_THAT(std::string(full.status().message()),
              HasSubstr("2 deliveries are waiting (webhookQueueMaxDeliveries is 2) because the link to the platform "
                        "is down or slow"));
  EXPECT_EQ(FileNames(q->queue_dir()).size(), 2u);
  ASSERT_TRUE(q->Remove(1).ok());
  EXPECT_TRUE(q->Enqueue("C", "{}").ok()) << "room again once one is delivered";
}

TEST(DiskQueueTest, TheByteLimitRefusesToo) {
  TempDir dir;
  auto q = Open(dir, QueueLimits{100, 10});
  ASSERT_TRUE(q->Enqueue("A", "123456").ok());
  absl::StatusOr<QueuedDelivery> full = q->Enqueue("B", "12345");
  ASSERT_FALSE(full.ok());
  EXPECT_THAT(std::string(full.status().message()), HasSubstr("webhookQueueMaxBytes is 10"));
  EXPECT_TRUE(q->Enqueue("B", "1234").ok());
}

TEST(DiskQueueTest, RecoveryKeepsQueuedFilesRemovesTempFilesAndContinuesTheSequence) {
  TempDir dir;
  {
    auto q = Open(dir);
    ASSERT_TRUE(q->Enqueue("A", R"({"a":1})").ok());
    ASSERT_TRUE(q->Enqueue("B", R"({"b":2})").ok());
    ASSERT_TRUE(q->Enqueue("C", R"({"c":3})").ok());
    ASSERT_TRUE(q->Remove(1).ok());
    // A crash in the middle of a write leaves a temp file; a stray file is not a delivery.
    std::ofstream(q->queue_dir() / ".tmp-4-D") << "{partial";
    std::ofstream(q->queue_dir() / "notes.txt") << "hello";
  }
  auto q = Open(dir);
  EXPECT_THAT(Ids(q->Oldest(10, {})), ElementsAre("B", "C"));
  EXPECT_EQ(q->Stats().bytes, 14);
  EXPECT_THAT(FileNames(q->queue_dir()),
              ElementsAre("00000000000000000002-B.json", "00000000000000000003-C.json"));
  EXPECT_THAT(FileNames(q->dead_letter_dir()), ElementsAre("notes.txt"));
  absl::StatusOr<QueuedDelivery> d = q->Enqueue("E", "{}");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->seq, 4u);
  EXPECT_THAT(Ids(q->Oldest(10, {})), ElementsAre("B", "C", "E"));
  absl::StatusOr<std::string> b = q->Read(q->Oldest(1, {})[0]);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, R"({"b":2})");
}

}  // namespace
}  // namespace edge::runtime::relay
