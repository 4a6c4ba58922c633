// Acceptance 1: calls through the platform reach each example tool: results, tool errors, invalid arguments,
// timeout, cancel, and 64 concurrent calls.
#include <atomic>
#include <future>
#include <thread>

#include "e2e_fixture.h"

namespace edge::e2e {
namespace {

using std::chrono::milliseconds;

TEST_F(E2ETest, EveryExampleToolAnswersThroughThePlatform) {
  Connector& c = StartConnector();
  ASSERT_NE(c.health_port(), 0);

  HttpResponse echo = Invoke("echo", R"({"text":"hi","repeat":2})");
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_EQ(JsonField(echo.body, "/result/structuredContent/text"), "hihi");
  EXPECT_EQ(JsonField(echo.body, "/result/isError"), "false");
  EXPECT_EQ(JsonField(echo.body, "/deploymentId"), deployment_);

  HttpResponse info = Invoke("system.info", "{}");
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(JsonField(info.body, "/result/isError"), "false");

  HttpResponse tables = Invoke("sqlite.tables", "{}");
  ASSERT_EQ(tables.status, 200) << tables.body;
  EXPECT_EQ(JsonField(tables.body, "/result/isError"), "false");

  HttpResponse count = Invoke("slow.count", R"({"steps":3,"step_ms":10})");
  ASSERT_EQ(count.status, 200) << count.body;
  EXPECT_EQ(JsonField(count.body, "/result/structuredContent/steps"), "3");

  HttpResponse ping = Invoke("edge.ping", "{}");
  EXPECT_EQ(ping.status, 200) << ping.body;

  // http.request may reach only the loopback server its config allows.
  std::string allowed = JsonField(examples_.ConfigFor("http_request"), "/allowedHosts/0");
  ASSERT_FALSE(allowed.empty());
  HttpResponse fetched = Invoke("http.request", "{\"url\":\"http://" + allowed + "/\"}");
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(JsonField(fetched.body, "/result/isError"), "false") << fetched.body;
}

TEST_F(E2ETest, ToolErrorIsAResultWithIsError) {
  StartConnector();
  HttpResponse r = Invoke("sqlite.query", R"({"sql":"SELECT * FROM no_such_table"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonField(r.body, "/result/isError"), "true");
  EXPECT_NE(JsonField(r.body, "/result/content/0/text").find("no_such_table"), std::string::npos) << r.body;
}

TEST_F(E2ETest, InvalidArgumentsAre400NamingTheField) {
  StartConnector();
  HttpResponse r = Invoke("echo", R"({"text":5})");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(JsonField(r.body, "/error/rpcCode"), "-32602");
  EXPECT_EQ(JsonField(r.body, "/error/details/field"), "/text") << r.body;
}

TEST_F(E2ETest, UnknownToolIsNotRoutable) {
  StartConnector();
  HttpResponse r = Invoke("no.such.tool", "{}");
  EXPECT_TRUE(r.status == 503 || r.status == 404) << r.status << " " << r.body;
}

TEST_F(E2ETest, TimeoutIs504AndTheConnectorStopsTheCall) {
  Connector& c = StartConnector();
  HttpResponse r = Invoke("slow.count", R"({"steps":100,"step_ms":100})", R"("timeoutMs":500)");
  ASSERT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(JsonField(r.body, "/error/rpcCode"), "-32003");
  // The call was stopped on the connector, not just abandoned by the platform.
  std::string statusz = c.Statusz();
  EXPECT_EQ(JsonField(statusz, "/calls/timedOut"), "1") << statusz;
}

TEST_F(E2ETest, CancelThroughTheApiReachesTheConnector) {
  Connector& c = StartConnector();
  auto call = std::async(std::launch::async, [&] {
    return Invoke("slow.count", R"({"steps":200,"step_ms":50})", R"("callId":"cancel-me-1")");
  });
  // Wait until the call runs on the connector.
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    running = JsonField(c.Statusz(), "/calls/running") == "1";
    if (!running) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(running) << c.Statusz();
  HttpResponse cancel = Http("POST", platform_->api_url() + "/api/v1/calls/cancel-me-1/cancel", "{}", token_);
  EXPECT_EQ(cancel.status, 202) << cancel.body;
  HttpResponse r = call.get();
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(JsonField(r.body, "/error/rpcCode"), "-32004");
  bool cancelled = false;
  for (int i = 0; i < 100 && !cancelled; ++i) {
    cancelled = JsonField(c.Statusz(), "/calls/cancelled") == "1";
    if (!cancelled) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(cancelled) << c.Statusz();
}

TEST_F(E2ETest, SixtyFourConcurrentCallsAllComplete) {
  StartConnector();
  std::vector<std::future<HttpResponse>> calls;
  for (int i = 0; i < 64; ++i) {
    calls.push_back(std::async(std::launch::async, [this, i] {
      return Invoke("slow.count", R"({"steps":2,"step_ms":20})", "\"callId\":\"c64-" + std::to_string(i) + "\"");
    }));
  }
  int ok = 0;
  for (auto& f : calls) {
    HttpResponse r = f.get();
    if (r.status == 200 && JsonField(r.body, "/result/isError") == "false") ++ok;
    else ADD_FAILURE() << r.status << " " << r.body << " " << r.error;
  }
  EXPECT_EQ(ok, 64);
}

TEST_F(E2ETest, NoConnectorIs503ConnectorUnavailable) {
  HttpResponse r = Invoke("echo", R"({"text":"x"})");
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(JsonField(r.body, "/error/rpcCode"), "-32006");
  EXPECT_NE(r.body.find("connector unavailable"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace edge::e2e
