// Link: the public API, the service thread, the status snapshot, and process facts (RSS, identity).
#include "edge/runtime/link.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/thread_name.h"
#include "link/link_impl.h"

namespace edge::runtime {
namespace {

using link::kComponent;

std::string RandomUuidV4() {
  std::random_device device;
  std::mt19937_64 engine((static_cast<uint64_t>(device()) << 32) ^ device() ^
                         static_cast<uint64_t>(absl::GetCurrentTimeNanos()));
  uint64_t hi = engine(), lo = engine();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                       // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);   // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48,
                         lo & 0xFFFFFFFFFFFFULL);
}

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string LocalPlatform() {
  utsname u{};
  if (uname(&u) != 0) return "linux-unknown";
  return absl::StrCat("linux-", u.machine);
}

}  // namespace

std::string_view LinkStateName(LinkState state) {
  switch (state) {
    case LinkState::kIdle: return "idle";
    case LinkState::kConnecting: return "connecting";
    case LinkState::kHandshaking: return "handshaking";
    case LinkState::kRegistering: return "registering";
    case LinkState::kServing: return "serving";
    case LinkState::kBackoff: return "backoff";
    case LinkState::kDraining: return "draining";
    case LinkState::kClosed: return "closed";
  }
  return "unknown";
}

int64_t ProcessRssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<int64_t>(resident) * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

bool Link::Impl::Inbox::Post(Item item) {
  absl::MutexLock lock(&mu);
  if (context == nullptr) return false;
  items.push_back(std::move(item));
  // Only a post to an armed inbox wakes the loop (see `armed`); the wake-up disarms it.
  if (armed.exchange(false, std::memory_order_acq_rel)) {
    lws_cancel_service(context);  // the one lws call allowed off the service thread; the lock keeps it alive
  }
  return true;
}

bool Link::Impl::Inbox::TakeAllOrArm(std::vector<Item>* out) {
  absl::MutexLock lock(&mu);
  if (items.empty()) {
    // Under the lock, so a post either came before (and is taken now) or sees the inbox armed.
    armed.store(true, std::memory_order_release);
    return false;
  }
  out->swap(items);
  return true;
}

Link::Impl::Impl(LinkOptions opts, std::shared_ptr<ToolCatalog> cat, Executor* exec)
    : options(std::move(opts)),
      catalog(std::move(cat)),
      executor(exec),
      logger(options.logger != nullptr ? *options.logger : Logger::Default()),
      backoff(link::BackoffOptions{options.reconnect_initial_ms, options.reconnect_max_ms,
                                   options.slow_backoff_initial_ms, options.slow_backoff_max_ms}) {
  instance_id = options.instance_id.empty() ? RandomUuidV4() : options.instance_id;
  hostname = options.hostname.empty() ? LocalHostname() : options.hostname;
  platform = options.platform.empty() ? LocalPlatform() : options.platform;
  identity = link::HeaderIdentity{options.connector_version, options.connector_type, platform};
  status.url = options.url;
}

void Link::Impl::ServiceLoop() {
  while (!quit.load()) {
    lws_service(context, 0);
    DrainInbox();
  }
}

void Link::Impl::DrainInbox() {
  std::vector<Inbox::Item> batch;
  batch.swap(inbox_batch);  // keeps its capacity; a nested DrainInbox (none today) would get a fresh vector
  while (inbox->TakeAllOrArm(&batch)) {
    for (auto& item : batch) std::move(item)(*this);
    batch.clear();
  }
  if (inbox_batch.empty()) inbox_batch.swap(batch);
}

void Link::Impl::SetState(LinkState next) {
  state = next;
  UpdateStatus([&](LinkStatus& s) { s.state = next; });
}

void Link::Impl::MarkClosed() {
  SetState(LinkState::kClosed);
  absl::MutexLock lock(&status_mu);
  closed = true;
}

void Link::Impl::OnStopCommand() {
  if (stopping) return;
  stopping = true;
  lws_sul_cancel(&retry_timer.sul);
  if (session == nullptr) {
    MarkClosed();
    return;
  }
  if (session->established) {
    session->deliberate = true;
    // Responses already queued go out first; the close frame follows them (OnWritable).
    RequestClose(protocol::kCloseGoingAway, protocol::FormatCloseReason(protocol::kCloseGoingAway),
                 absl::InfiniteDuration());
  } else {
    session->failure = "stopped while connecting";
    KillSession();
  }
}

Link::Link(LinkOptions options, std::shared_ptr<ToolCatalog> catalog, Executor* executor)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(catalog), executor)) {}

Link::~Link() { Stop(); }

absl::Status Link::Start() {
  Impl& impl = *impl_;
  if (impl.started) return absl::FailedPreconditionError("the link was already started");
  if (impl.executor == nullptr || impl.catalog == nullptr) {
    return absl::InvalidArgumentError("the link needs an executor and a tool catalog");
  }
  link::InstallLwsLogger(&impl.logger);

  static const lws_protocols kProtocols[] = {
      // rx_buffer_size 4096 (lws's default, made explicit): a typical call message arrives in one RECEIVE;
      // larger ones are reassembled in OnReceive up to protocol::kMaxMessageBytes.
      {link::kLocalProtocolName, &Impl::Callback, 0, 4096, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  };
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  // TLS (OpenSSL init, the client SSL_CTX, the CA store) only for wss://: it costs ~1.8 MiB of idle RSS that a
  // ws:// link never uses. An unparsable URL keeps TLS on; the connect attempt then reports the URL error.
  absl::StatusOr<link::LinkUrl> url = link::ParseLinkUrl(impl.options.url);
  if (!url.ok() || url->secure) {
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (!impl.options.ca_file.empty()) info.client_ssl_ca_filepath = impl.options.ca_file.c_str();
  }
  info.gid = -1;
  info.uid = -1;
  info.user = &impl;
  info.fd_limit_per_thread = 64;  // one link connection: keep lws's per-fd tables (and RSS) small
  impl.context = lws_create_context(&info);
  if (impl.context == nullptr) {
    return absl::InternalError(absl::StrCat(
        "could not create the link's libwebsockets context",
        impl.options.ca_file.empty() ? "" : absl::StrCat(" (check the CA file ", impl.options.ca_file, ")")));
  }
  {
    absl::MutexLock lock(&impl.inbox->mu);
    impl.inbox->context = impl.context;
  }
  impl.started = true;
  impl.inbox->Post([](Impl& i) { i.StartAttempt(); });
  impl.thread = std::thread([&impl] { impl.ServiceLoop(); });
  NameThread(impl.thread, "ec-link");
  return absl::OkStatus();
}

void Link::Reregister() {
  impl_->inbox->Post([](Impl& i) { i.DoReregister(); });
}

void Link::BeginDrain(absl::Duration grace) {
  impl_->inbox->Post([grace](Impl& i) { i.DoBeginDrain(grace); });
}

void Link::SendWebhookRelay(std::string params_json, WebhookRelayDone done) {
  // The closure owns `done` until the loop runs it; Post refuses (and hands it back) only when the link is not
  // running, so answer right here in that case.
  auto shared = std::make_shared<WebhookRelayDone>(std::move(done));
  const bool posted = impl_->inbox->Post([params = std::move(params_json), shared](Impl& i) mutable {
    i.DoSendWebhookRelay(std::move(params), std::move(*shared));
  });
  if (!posted && *shared) {
    (*shared)(absl::UnavailableError("the link to the platform is not running"), 0);
  }
}

void Link::Stop(absl::Duration timeout) {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  impl.inbox->Post([](Impl& i) { i.OnStopCommand(); });
  {
    absl::MutexLock lock(&impl.status_mu);
    auto closed = [&impl]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.status_mu) { return impl.closed; };
    if (!impl.status_mu.AwaitWithTimeout(absl::Condition(&closed), timeout)) {
      impl.logger.Warn(kComponent, "the close handshake did not finish within ", absl::FormatDuration(timeout),
                       "; dropping the connection");
    }
  }
  impl.quit.store(true);
  {
    absl::MutexLock lock(&impl.inbox->mu);
    lws_cancel_service(impl.context);
  }
  impl.thread.join();
  {
    // From here executor callbacks find the inbox closed and drop their outcomes.
    absl::MutexLock lock(&impl.inbox->mu);
    impl.inbox->context = nullptr;
    impl.inbox->items.clear();
  }
  impl.stopping = true;  // the loop is gone: callbacks run by lws_context_destroy must not reschedule
  impl.DisarmTimers();
  lws_context_destroy(impl.context);
  impl.context = nullptr;
  impl.session.reset();
  impl.SetState(LinkState::kClosed);
  impl.logger.Info(kComponent, "link stopped");
  link::UninstallLwsLogger(&impl.logger);
}

LinkStatus Link::Status() const {
  LinkStatus status;
  {
    absl::MutexLock lock(&impl_->status_mu);
    status = impl_->status;
  }
  status.in_flight = impl_->in_flight.load(std::memory_order_relaxed);
  return status;
}

bool Link::Ready() const {
  absl::MutexLock lock(&impl_->status_mu);
  return impl_->status.state == LinkState::kServing && impl_->status.registered;
}

}  // namespace edge::runtime
