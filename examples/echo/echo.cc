// The echo example: the smallest useful plugin, and the one the dispatch benchmark calls.
#include <edge/sdk.hpp>

EDGE_PLUGIN("echo", "1.0.0") {
  plugin.tool("echo")
      .title("Echo")
      .description("Returns the text it is given, optionally repeated.")
      .input_schema(R"({"type":"object","properties":{"text":{"type":"string"},
                        "repeat":{"type":"integer","minimum":1,"maximum":100}},"required":["text"]})")
      .output_schema(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
      .example(R"({"text":"hello"})")
      .read_only()
      .idempotent()
      .handler([](const edge::Args& args, edge::Context&) {
        std::string text = args.get<std::string>("text");
        std::string out;
        for (int i = 0, n = args.get_or<int>("repeat", 1); i < n; ++i) out += text;
        return edge::Result::structured(edge::Json::object().set("text", out), out);
      });
}
