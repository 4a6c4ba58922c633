// The cloud-driver-fault test hook.
#include "cloud/fault_driver.h"

#include "absl/status/status.h"

namespace edge::platform::cloud {
namespace {

absl::Status Injected(std::string_view operation) {
  return absl::UnavailableError("the " + std::string(operation) +
                                " step failed (test hook cloud-driver-fault, mode fail)");
}

}  // namespace

bool ParseFaultMode(std::string_view text, FaultMode* out) {
  if (text == "none") {
    *out = FaultMode::kNone;
  } else if (text == "hang") {
    *out = FaultMode::kHang;
  } else if (text == "fail") {
    *out = FaultMode::kFail;
  } else {
    return false;
  }
  return true;
}

bool IsFaultOperation(std::string_view operation) {
  return operation == "provision" || operation == "start" || operation == "stop";
}

void FaultDriver::SetFault(const std::string& operation, FaultMode mode, int64_t count) {
  faults_[operation] = Fault{mode, mode == FaultMode::kNone ? 0 : count};
}

FaultMode FaultDriver::Take(const std::string& operation) {
  auto it = faults_.find(operation);
  if (it == faults_.end() || it->second.mode == FaultMode::kNone || it->second.left == 0) return FaultMode::kNone;
  if (it->second.left > 0) --it->second.left;
  return it->second.mode;
}

absl::StatusOr<StepResult> FaultDriver::Provision(const InstanceSpec& spec) {
  switch (Take("provision")) {
    case FaultMode::kHang: return StepResult{false};
    case FaultMode::kFail: return Injected("provision");
    case FaultMode::kNone: break;
  }
  return inner_->Provision(spec);
}

absl::StatusOr<std::optional<ProcessHandle>> FaultDriver::Start(const InstanceSpec& spec) {
  switch (Take("start")) {
    case FaultMode::kHang: return std::optional<ProcessHandle>();
    case FaultMode::kFail: return Injected("start");
    case FaultMode::kNone: break;
  }
  return inner_->Start(spec);
}

absl::StatusOr<StepResult> FaultDriver::Stop(const ProcessHandle& handle) {
  switch (Take("stop")) {
    case FaultMode::kHang: return StepResult{false};
    case FaultMode::kFail: return Injected("stop");
    case FaultMode::kNone: break;
  }
  return inner_->Stop(handle);
}

}  // namespace edge::platform::cloud
