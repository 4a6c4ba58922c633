/*
 * edge/plugin.h: the Edge Connector plugin C ABI, version 1.
 *
 * This single pure-C header is the whole contract between the connector (the "host") and a tool plugin
 * (a shared library). A plugin exports exactly one symbol, `edge_plugin_negotiate`. Everything else travels
 * through size-prefixed, append-only structs of function pointers: the plugin's API table (returned by
 * negotiation) and the host's API table (handed to the plugin's init). Plugins never link against host
 * symbols, so a plugin built against ABI 1.0 loads on every later 1.x host.
 *
 * Conventions (see docs/plugin-abi.md for the full contract and the evolution rules):
 *   - Text and bytes travel as `edge_str` (pointer + length, UTF-8, not NUL-terminated).
 *   - Ownership is in the type name: `*_host_ptr` is owned by the host, `*_module_ptr` by the plugin.
 *     Every other pointer has an OWNERSHIP: line.
 *   - Memory is never freed by the side that did not allocate it: results go back through host writers.
 *   - Status codes are a small, stable, append-only set of int32 values. New codes may be added in a minor;
 *     unknown codes must be treated as EDGE_STATUS_INTERNAL.
 *   - Nothing unwinds across this boundary: no C++ exceptions, no longjmp.
 */
#ifndef EDGE_PLUGIN_H_
#define EDGE_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. A minor adds only; a major may break. */
#define EDGE_ABI_MAJOR 1
#define EDGE_ABI_MINOR 0

/* The one symbol a plugin exports. It is a function (dlsym is only guaranteed for functions). */
#define EDGE_PLUGIN_ENTRY_SYMBOL "edge_plugin_negotiate"

#if defined(_WIN32)
#define EDGE_PLUGIN_EXPORT __declspec(dllexport)
#else
#define EDGE_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------------------------- */

/* A UTF-8 string view. OWNERSHIP: borrowed; valid for the lifetime stated where it is used. */
typedef struct edge_str {
  const char* data; /* may be NULL when len == 0 */
  size_t len;
} edge_str;

/* Status codes. Stable and append-only; never renumbered, and deliberately no _LAST sentinel. */
typedef int32_t edge_status;
#define EDGE_STATUS_OK 0
#define EDGE_STATUS_UNSUPPORTED_ABI 1   /* negotiation refused: no common version */
#define EDGE_STATUS_INVALID_ARGUMENT 2  /* a host or plugin function got a bad argument (e.g. invalid JSON) */
#define EDGE_STATUS_INIT_FAILED 3       /* plugin init failed; details via edge_host_api_v1.set_error */
#define EDGE_STATUS_TOOL_NOT_FOUND 4    /* tool index out of range */
#define EDGE_STATUS_INTERNAL 5          /* unexpected failure (e.g. a caught exception) */
#define EDGE_STATUS_CANCELLED 6         /* the plugin stopped because the call was cancelled */
#define EDGE_STATUS_OUT_OF_MEMORY 7
#define EDGE_STATUS_RESULT_TOO_LARGE 8  /* a result write exceeded the host's result size limit */
#define EDGE_STATUS_BAD_STATE 9         /* e.g. writing a result after the call completed */

/* Log levels for edge_host_api_v1.log. */
typedef int32_t edge_log_level;
#define EDGE_LOG_TRACE 0
#define EDGE_LOG_DEBUG 1
#define EDGE_LOG_INFO 2
#define EDGE_LOG_WARN 3
#define EDGE_LOG_ERROR 4

/* Why the host stops a plugin. */
typedef int32_t edge_shutdown_reason;
#define EDGE_SHUTDOWN_REASON_SHUTDOWN 0 /* the connector is exiting */
#define EDGE_SHUTDOWN_REASON_RELOAD 1   /* a newer generation replaced this one; the library will be unloaded */
#define EDGE_SHUTDOWN_REASON_ERROR 2    /* the host gave up on the plugin (e.g. a failed self-check) */

/* Tri-state for MCP tool annotations: unset means "no claim". */
typedef uint8_t edge_hint;
#define EDGE_HINT_UNSET 0
#define EDGE_HINT_FALSE 1
#define EDGE_HINT_TRUE 2

/* edge_tool_descriptor_v1.flags */
#define EDGE_TOOL_FLAG_CONCURRENT 0x1u /* calls of this tool may run in parallel; otherwise the host serializes */

/* Opaque handles. */
typedef struct edge_host_s* edge_host_host_ptr;            /* the host's per-plugin context; host-owned */
typedef struct edge_call_s* edge_call_host_ptr;            /* one in-flight call; host-owned */
typedef struct edge_plugin_state_s* edge_plugin_module_ptr; /* the plugin's per-instance state; plugin-owned */

/* ---------------------------------------------------------------------------------------------------------
 * Negotiation
 * ------------------------------------------------------------------------------------------------------- */

/* Exchanged once, before anything else. Size-prefixed so it can grow. */
typedef struct edge_abi_version {
  uint32_t struct_size;    /* sizeof(edge_abi_version) as the writer knows it */
  uint32_t major;          /* ABI major */
  uint32_t minor;          /* host: the highest minor it serves; plugin: the minor it was built against */
  uint32_t required_minor; /* plugin: the lowest host minor it needs; host: 0 */
} edge_abi_version;

struct edge_plugin_api_v1;

/*
 * The plugin's one export. The host fills `host_offer` with {major, highest minor}. The plugin fills
 * `plugin_answer` (whose struct_size the host has set) with its own version and, when it supports the host's
 * major and the host's minor is at least its required minor, sets `*out_api` and returns EDGE_STATUS_OK.
 * Otherwise it returns EDGE_STATUS_UNSUPPORTED_ABI, still filling `plugin_answer` so the host can say why.
 *
 * OWNERSHIP: host_offer and plugin_answer are host-owned and valid during the call only.
 * OWNERSHIP: *out_api points to plugin-owned static memory, valid until the library is unloaded. For major 1
 *            it is a `const struct edge_plugin_api_v1*`.
 */
typedef edge_status (*edge_plugin_negotiate_fn)(const edge_abi_version* host_offer, edge_abi_version* plugin_answer,
                                                const void** out_api);

/* ---------------------------------------------------------------------------------------------------------
 * Descriptors and call context
 * ------------------------------------------------------------------------------------------------------- */

/*
 * One tool, MCP-shaped. Written by the plugin; the host copies what it needs.
 * OWNERSHIP: the struct and every string it points to are plugin-owned and valid from init until shutdown
 *            returns.
 * A plugin built against a newer minor may report a larger struct_size; the host accepts it when every byte
 * beyond what the host knows is zero, and refuses it otherwise.
 */
typedef struct edge_tool_descriptor_v1 {
  uint32_t struct_size;
  uint32_t flags;               /* EDGE_TOOL_FLAG_* */
  edge_str name;                /* required; [A-Za-z0-9_.-], 1..128 bytes, unique within the connector */
  edge_str title;               /* optional human-readable name */
  edge_str description;         /* required */
  edge_str input_schema_json;   /* required; a JSON Schema whose root type is "object" */
  edge_str output_schema_json;  /* optional; when set, structured results must validate against it */
  edge_str examples_json;       /* optional; a JSON array of example argument objects, used by conformance checks */
  edge_hint read_only_hint;
  edge_hint destructive_hint;
  edge_hint idempotent_hint;
  edge_hint open_world_hint;
  uint32_t default_timeout_ms;  /* 0 = use the host's default */
} edge_tool_descriptor_v1;

/*
 * Who is calling, and for what. Written by the host.
 * OWNERSHIP: the struct and its strings are host-owned and valid until invoke returns; copy what you keep.
 * A plugin must check struct_size before reading a field added in a later minor.
 */
typedef struct edge_call_context_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  edge_str call_id;
  edge_str tool_name;
  edge_str user_id;
  edge_str org_id;
  edge_str deployment_id;
  edge_str hostname;
  edge_str platform;
} edge_call_context_v1;

/*
 * Parameters for init. Written by the host.
 * OWNERSHIP: host-owned, valid during init only; copy what you keep.
 */
typedef struct edge_plugin_init_v1 {
  uint32_t struct_size;
  uint32_t negotiated_minor; /* the minor the host will serve this plugin */
  edge_str config_json;      /* this plugin's configuration object from the connector config; "{}" when none */
  edge_str plugin_path;      /* absolute path of the loaded library (content-addressed; never reused) */
  edge_str data_dir;         /* a writable directory reserved for this plugin; may be empty */
} edge_plugin_init_v1;

/* ---------------------------------------------------------------------------------------------------------
 * The host API: handed to the plugin at init
 * ------------------------------------------------------------------------------------------------------- */

/*
 * Size-prefixed and append-only: a minor adds fields at the end, never removes or reorders. Before calling a
 * function added after 1.0, check `struct_size >= offsetof(edge_host_api_v1, fn) + sizeof(fn)`.
 * OWNERSHIP: the table is host-owned and valid from init until shutdown returns.
 * Thread safety: every function may be called from any thread; per-call functions only while that call's
 * invoke is running.
 */
typedef struct edge_host_api_v1 {
  uint32_t struct_size;
  uint32_t abi_minor; /* the minor the host serves */

  /* --- logging --- */
  /* Non-zero when `level` would be emitted, so plugins can skip formatting. */
  int32_t (*log_enabled)(edge_host_host_ptr host, edge_log_level level);
  /* OWNERSHIP: file and message are borrowed for the duration of the call. */
  void (*log)(edge_host_host_ptr host, edge_log_level level, edge_str file, uint32_t line, edge_str message);

  /* Explains the failure of the export currently running (init, or invoke returning a non-OK status).
   * OWNERSHIP: message is borrowed; the host copies it. */
  void (*set_error)(edge_host_host_ptr host, edge_call_host_ptr call_or_null, edge_str message);

  /* --- result writing (MCP-shaped: content[], structuredContent, isError) --- */
  /* Appends a text content item. OWNERSHIP: text is borrowed; the host copies it. */
  edge_status (*result_add_text)(edge_call_host_ptr call, edge_str text);
  /* Sets structuredContent; must be a JSON object. Replaces a previous value. OWNERSHIP: borrowed, copied. */
  edge_status (*result_set_structured)(edge_call_host_ptr call, edge_str json);
  /* Marks the result as a tool-level error the agent can act on (MCP isError). */
  edge_status (*result_set_is_error)(edge_call_host_ptr call, int32_t is_error);

  /* --- call control --- */
  /* Reports progress; resets the call's inactivity timeout. total <= 0 means unknown.
   * OWNERSHIP: message is borrowed; the host copies it. */
  edge_status (*report_progress)(edge_call_host_ptr call, double progress, double total, edge_str message);
  /* Non-zero once the call was cancelled or timed out. Cheap: poll it in loops. */
  int32_t (*is_cancelled)(edge_call_host_ptr call);
  /* Milliseconds until the call's nearest deadline (inactivity or hard maximum); -1 when there is none. */
  int64_t (*deadline_remaining_ms)(edge_call_host_ptr call);

  /* Room to grow: later minors append fields here. */
} edge_host_api_v1;

/* ---------------------------------------------------------------------------------------------------------
 * The plugin API: returned by negotiation
 * ------------------------------------------------------------------------------------------------------- */

/*
 * Size-prefixed and append-only, like the host table. A plugin built against a newer minor may report a
 * larger struct_size; the host accepts it only when the unknown tail is zero.
 * OWNERSHIP: plugin-owned static memory, valid until the library is unloaded.
 * Every function must return normally: no exceptions, no longjmp, no calls to exit().
 */
typedef struct edge_plugin_api_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  edge_str plugin_name;    /* OWNERSHIP: plugin-owned static string */
  edge_str plugin_version; /* OWNERSHIP: plugin-owned static string */

  /* Creates one plugin instance. On failure return EDGE_STATUS_INIT_FAILED and call host->set_error.
   * OWNERSHIP: host_api and host stay valid until shutdown returns; params only during init.
   *            *out_state is plugin-owned; the host passes it back unchanged and never frees it. */
  edge_status (*init)(const edge_host_api_v1* host_api, edge_host_host_ptr host, const edge_plugin_init_v1* params,
                      edge_plugin_module_ptr* out_state);

  /* Releases the instance. The host calls it once, after every call has returned, with the reason.
   * deadline_ms is how long the plugin has; it must stop its own threads before returning. */
  void (*shutdown)(edge_plugin_module_ptr state, edge_shutdown_reason reason, uint32_t deadline_ms);

  /* The tools of this instance; stable from init until shutdown. */
  uint32_t (*tool_count)(edge_plugin_module_ptr state);
  /* OWNERSHIP: the returned descriptor is plugin-owned (see edge_tool_descriptor_v1); NULL if out of range. */
  const edge_tool_descriptor_v1* (*tool_at)(edge_plugin_module_ptr state, uint32_t index);

  /* Runs one call synchronously on a host worker thread. Arguments have already been validated against the
   * tool's inputSchema. The result goes through the host's result_* writers before returning.
   * Return EDGE_STATUS_OK when a result (possibly isError) was written; another status is a host-level
   * failure, explained with host->set_error(call, ...).
   * OWNERSHIP: args_json, context and call are host-owned and valid until invoke returns. */
  edge_status (*invoke)(edge_plugin_module_ptr state, uint32_t tool_index, edge_str args_json,
                        const edge_call_context_v1* context, edge_call_host_ptr call);

  /* Room to grow: later minors append fields here. */
} edge_plugin_api_v1;

/* The prototype every plugin exports (the C++ SDK's EDGE_PLUGIN macro defines it for you). */
EDGE_PLUGIN_EXPORT edge_status edge_plugin_negotiate(const edge_abi_version* host_offer,
                                                     edge_abi_version* plugin_answer, const void** out_api);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EDGE_PLUGIN_H_ */
