// cloud/fault_driver.h: the test-hook wrapper around a driver (docs/cloud-connectors.md section 3,
// `POST /api/v1/test/cloud-driver-fault`). For one operation (provision, start, stop) it makes the next calls
// `hang` (do nothing: no instance, no process, no signal, and report the step as not completed) or `fail`
// (return an error), then behaves normally again. Every other call goes straight to the wrapped driver.
#ifndef EDGE_PLATFORM_CLOUD_FAULT_DRIVER_H_
#define EDGE_PLATFORM_CLOUD_FAULT_DRIVER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cloud/driver.h"

namespace edge::platform::cloud {

enum class FaultMode { kNone, kHang, kFail };
bool ParseFaultMode(std::string_view text, FaultMode* out);
bool IsFaultOperation(std::string_view operation);  // provision | start | stop

class FaultDriver : public Driver {
 public:
  explicit FaultDriver(Driver* inner) : inner_(inner) {}

  // The next `count` calls of `operation` misbehave (count < 0: until changed; mode kNone: back to normal).
  void SetFault(const std::string& operation, FaultMode mode, int64_t count);

  absl::StatusOr<StepResult> Provision(const InstanceSpec& spec) override;
  absl::StatusOr<std::optional<ProcessHandle>> Start(const InstanceSpec& spec) override;
  absl::StatusOr<StepResult> Stop(const ProcessHandle& handle) override;
  void Kill(const ProcessHandle& handle) override { inner_->Kill(handle); }
  Observation Observe(const ProcessHandle& handle) override { return inner_->Observe(handle); }
  absl::Status Release(const InstanceSpec& spec) override { return inner_->Release(spec); }
  std::optional<ProcessHandle> Adopt(pid_t pid, uint64_t start_time) override { return inner_->Adopt(pid, start_time); }
  std::vector<std::string> KillStrays(const std::vector<ProcessHandle>& known) override {
    return inner_->KillStrays(known);
  }

 private:
  struct Fault {
    FaultMode mode = FaultMode::kNone;
    int64_t left = 0;
  };
  // The mode that applies to this call of `operation` (and uses it up).
  FaultMode Take(const std::string& operation);

  Driver* inner_;
  std::map<std::string, Fault> faults_;
};

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_FAULT_DRIVER_H_
