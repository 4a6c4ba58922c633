// cli_stubborn: a test-only plugin that ignores cancellation, to prove --check's cancellation bound fails it.
#include <chrono>
#include <edge/sdk.hpp>
#include <thread>

EDGE_PLUGIN("cli_stubborn", "0.0.1") {
  plugin.tool("stubborn.sleep")
      .description("Sleeps `ms` milliseconds without ever checking for cancellation.")
      .input_schema(R"({"type":"object","properties":{"ms":{"type":"integer","minimum":0}},"required":["ms"]})")
      .example(R"({"ms":400})")
      .handler([](const edge::Args& args, edge::Context&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(args.get<int64_t>("ms")));
        return edge::Result::text("slept");
      });
}
