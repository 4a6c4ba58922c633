// edge/testing.hpp: the GoogleTest-friendly testing API for plugin authors (link EdgePluginSdk::testing).
//
// Two ways to test a plugin:
//   - Through the real host: edge::testing::PluginUnderTest loads the built plugin file with the runtime's
//     PluginHost and runs calls through the in-process Executor, schema validation, timeouts and cancellation
//     included (edge/testing/plugin_under_test.hpp).
//
//       auto p = edge::testing::PluginUnderTest::Load(EDGE_PLUGIN_FILE, PluginOptions::WithConfig(R"({"x":1})"));
//       ASSERT_TRUE(p.ok()) << p.status();
//       edge::testing::CallReport r = (*p)->Call("echo", R"({"text":"hi"})");
//       EXPECT_TOOL_OK(r);
//
//   - Without dlopen: edge::testing::FakeHost implements the host API in-process for a plugin whose source is
//     compiled into the test, recording results, progress and logs (edge/testing/fake_host.hpp).
//
//       edge::testing::FakeHost host(&edge_plugin_negotiate);
//       ASSERT_EQ(host.Init("{}"), EDGE_STATUS_OK) << host.init_error();
//       EXPECT_TOOL_OK(host.Invoke("echo", R"({"text":"hi"})"));
//
// Matchers (IsToolOk, IsToolError, IsHostError, HasText) and StructuredOf work on both kinds of result
// (edge/testing/matchers.hpp).
#ifndef EDGE_TESTING_HPP_
#define EDGE_TESTING_HPP_

#include "edge/testing/fake_host.hpp"
#include "edge/testing/matchers.hpp"
#include "edge/testing/plugin_under_test.hpp"

#endif  // EDGE_TESTING_HPP_
