// The cloud-driver-fault test hook wrapper: hang and fail for the next n calls of one operation.
#include "cloud/fault_driver.h"

#include <gtest/gtest.h>

namespace edge::platform::cloud {
namespace {

// Counts what reaches the wrapped driver.
class CountingDriver : public Driver {
 public:
  absl::StatusOr<StepResult> Provision(const InstanceSpec&) override {
    ++provisions;
    return StepResult{};
  }
  absl::StatusOr<std::optional<ProcessHandle>> Start(const InstanceSpec&) override {
    ++starts;
    ProcessHandle h;
    h.pid = 4242;
    return std::optional<ProcessHandle>(h);
  }
  absl::StatusOr<StepResult> Stop(const ProcessHandle&) override {
    ++stops;
    return StepResult{};
  }
  void Kill(const ProcessHandle&) override { ++kills; }
  Observation Observe(const ProcessHandle&) override { return {}; }
  absl::Status Release(const InstanceSpec&) override { return absl::OkStatus(); }
  std::optional<ProcessHandle> Adopt(pid_t, uint64_t) override { return std::nullopt; }
  std::vector<std::string> KillStrays(const std::vector<ProcessHandle>&) override { return {}; }
  int provisions = 0, starts = 0, stops = 0, kills = 0;
};

TEST(CloudFaultDriver, HangDoesNothingForTheNextCalls) {
  CountingDriver inner;
  FaultDriver d(&inner);
  d.SetFault("start", FaultMode::kHang, 2);
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::optional<ProcessHandle>> r = d.Start({});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());  // no process
  }
  EXPECT_EQ(inner.starts, 0);
  absl::StatusOr<std::optional<ProcessHandle>> r = d.Start({});
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(inner.starts, 1);
  // Other operations are untouched.
  EXPECT_TRUE(d.Provision({})->completed);
  EXPECT_EQ(inner.provisions, 1);
}

TEST(CloudFaultDriver, FailAndHangOfProvisionAndStop) {
  CountingDriver inner;
  FaultDriver d(&inner);
  d.SetFault("provision", FaultMode::kFail, 1);
  absl::StatusOr<StepResult> p = d.Provision({});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.status().message()).find("cloud-driver-fault"), std::string::npos);
  EXPECT_TRUE(d.Provision({}).ok());

  d.SetFault("stop", FaultMode::kHang, -1);  // until changed
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(d.Stop({})->completed);
  EXPECT_EQ(inner.stops, 0);
  d.SetFault("stop", FaultMode::kNone, 0);
  EXPECT_TRUE(d.Stop({})->completed);
  EXPECT_EQ(inner.stops, 1);
  d.Kill({});  // kills are never faulted: force-complete must always work
  EXPECT_EQ(inner.kills, 1);
}

TEST(CloudFaultDriver, ParsesItsVocabulary) {
  FaultMode m = FaultMode::kNone;
  EXPECT_TRUE(ParseFaultMode("hang", &m));
  EXPECT_EQ(m, FaultMode::kHang);
  EXPECT_TRUE(ParseFaultMode("fail", &m));
  EXPECT_EQ(m, FaultMode::kFail);
  EXPECT_FALSE(ParseFaultMode("crash", &m));
  EXPECT_TRUE(IsFaultOperation("provision"));
  EXPECT_FALSE(IsFaultOperation("delete"));
}

}  // namespace
}  // namespace edge::platform::cloud
