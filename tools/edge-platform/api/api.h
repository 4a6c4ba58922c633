// api/api.h: edge-platform's REST API (docs/api.md): routing, admin-token authentication, and the handlers
// for deployments, tools and their invocation through the hub, the call log and connectors.
//
// Threading: everything runs on the lws service thread, like the hub.
#ifndef EDGE_PLATFORM_API_API_H_
#define EDGE_PLATFORM_API_API_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"
#include "rpc/hub.h"
#include "store/store.h"

namespace edge::platform::api {

struct ApiOptions {
  bool enable_test_hooks = false;
  std::string platform_version;
};

// Who is calling, from a verified admin token.
struct Caller {
  std::string org_id;
  std::string subject;
};

class Api {
 public:
  Api(ApiOptions options, store::Store* store, Hub* hub, const protocol::SigningKey* signing_key,
      const protocol::VerifyingKey* verifying_key, runtime::Logger* logger);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void Handle(std::shared_ptr<HttpExchange> exchange);

  using Exchange = std::shared_ptr<HttpExchange>;
  using Params = std::vector<std::string>;  // the route's {placeholders}, in order

 private:
  // Routing and auth (api.cc).
  bool Authenticate(const Exchange& ex, Caller* caller);

  // Handlers, one file per resource.
  void PublicKey(const Exchange& ex);
  void ListDeployments(const Exchange& ex, const Caller& caller);                       // deployments.cc
  void CreateDeployment(const Exchange& ex, const Caller& caller);
  void GetDeployment(const Exchange& ex, const Caller& caller, const std::string& id);
  void RotateSecret(const Exchange& ex, const Caller& caller, const std::string& id);
  void DeleteDeployment(const Exchange& ex, const Caller& caller, const std::string& id);
  void ListTools(const Exchange& ex, const Caller& caller);                             // tools.cc
  void ListConnectors(const Exchange& ex, const Caller& caller);
  void OversizeFrame(const Exchange& ex, const Caller& caller);
  void Invoke(const Exchange& ex, const Caller& caller, const std::string& tool);       // invoke.cc
  void CancelCall(const Exchange& ex, const Caller& caller, const std::string& call_id);
  void ListCalls(const Exchange& ex, const Caller& caller);

  // The caller's deployment, or an answer already sent (404 for unknown or other orgs' deployments).
  bool FindDeployment(const Exchange& ex, const Caller& caller, const std::string& id, store::Deployment* out);

  ApiOptions options_;
  store::Store* store_;
  Hub* hub_;
  const protocol::SigningKey* signing_key_;
  const protocol::VerifyingKey* verifying_key_;
  runtime::Logger* logger_;
  std::map<std::string, std::string> in_flight_;  // callId -> org, for scoped cancels
};

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_API_H_
