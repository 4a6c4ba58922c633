// cli_probe: a test-only plugin giving the CLI integration tests behaviours the examples do not have on
// demand: a tool error, a wait that honours cancellation while reporting progress, and its own config.
#include <chrono>
#include <edge/sdk.hpp>
#include <thread>

EDGE_PLUGIN("cli_probe", "0.0.1") {
  plugin.tool("probe.fail")
      .description("Always returns a tool error (isError) with the given message.")
      .input_schema(R"({"type":"object","properties":{"message":{"type":"string"}},"required":["message"]})")
      .handler([](const edge::Args& args, edge::Context&) {
        return edge::Result::error("probe failure: " + args.get<std::string>("message"));
      });

  plugin.tool("probe.wait")
      .description("Waits `ms` milliseconds, reporting progress every 10 ms; stops promptly when cancelled.")
      .input_schema(R"({"type":"object","properties":{"ms":{"type":"integer","minimum":0}},"required":["ms"],
                        "additionalProperties":false})")
      .output_schema(R"({"type":"object","properties":{"waited_ms":{"type":"integer"}},"required":["waited_ms"]})")
      .example(R"({"ms":200})")
      .handler([](const edge::Args& args, edge::Context& ctx) {
        const auto total = args.get<int64_t>("ms");
        int64_t waited = 0;
        while (waited < total) {
          ctx.check_cancelled();
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          waited += 5;
          if (waited % 10 == 0) ctx.progress(static_cast<double>(waited), static_cast<double>(total), "waiting");
        }
        return edge::Result::structured(edge::Json::object().set("waited_ms", waited));
      });

  plugin.tool("probe.config")
      .description("Returns the plugin's configuration object.")
      .example("{}")
      .read_only()
      .handler([&plugin](const edge::Args&, edge::Context&) {
        return edge::Result::structured(plugin.config(), "config: " + plugin.config().dump());
      });
}
