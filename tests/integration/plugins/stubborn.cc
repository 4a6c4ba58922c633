// cli_stubborn: a test-only plugin that ignores cancellation, to prove --check's cancellation bound fails it.
// Built twice: cli_stubborn's example sleeps 400 ms; cli_silent's (STUBBORN_EXAMPLE_MS=60000) outlasts any step
// timeout a test sets, to prove --check reports a silent step as a hang and kills it.
#include <chrono>
#include <edge/sdk.hpp>
#include <thread>

#ifndef STUBBORN_EXAMPLE_MS
#define STUBBORN_EXAMPLE_MS 400
#endif
#define STUBBORN_STR2(x) #x
#define STUBBORN_STR(x) STUBBORN_STR2(x)

EDGE_PLUGIN("cli_stubborn", "0.0.1") {
  plugin.tool("stubborn.sleep")
      .description("Sleeps `ms` milliseconds without ever checking for cancellation.")
      .input_schema(R"({"type":"object","properties":{"ms":{"type":"integer","minimum":0}},"required":["ms"]})")
      .example("{\"ms\":" STUBBORN_STR(STUBBORN_EXAMPLE_MS) "}")
      .handler([](const edge::Args& args, edge::Context&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(args.get<int64_t>("ms")));
        return edge::Result::text("slept");
      });
}
