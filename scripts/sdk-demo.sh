#!/usr/bin/env bash
# The plugin SDK walkthrough (no platform needed): builds everything, then shows the SDK flow with the CLI:
#   - lists the tools of every example plugin          (edge-connector test --plugin P --list)
#   - calls some of them                               (edge-connector test --plugin P --tool NAME --args JSON)
#   - runs the conformance checks on every example     (edge-connector test --plugin P --check)
# Exits non-zero when a step fails.
#
# Environment: PRESET (default "default"; "ci" reuses the test build), BUILD_DIR (default build/<PRESET>),
# JOBS (default 2).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/demo-lib.sh
demo_build

CLI="${BUILD_DIR}/bin/edge-connector"
PLUGINS="${BUILD_DIR}/plugins"
[[ -x "$CLI" ]] || { echo "sdk-demo.sh: $CLI was not built; check the build output above" >&2; exit 1; }

WORK=$(mktemp -d)
HTTP_PID=""
cleanup() {
  if [[ -n "$HTTP_PID" ]]; then kill "$HTTP_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A local web server for the http_request example, which may reach only the hosts its config allows.
mkdir -p "$WORK/www"
echo "hello from the demo web server" >"$WORK/www/hello.txt"
HTTP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$WORK/www" >/dev/null 2>&1 &
HTTP_PID=$!

# A small database for the sqlite_query example (its config names the file).
DB="$WORK/demo.db"
sqlite3 "$DB" <<'SQL'
CREATE TABLE tools(name TEXT PRIMARY KEY, plugin TEXT NOT NULL, read_only INTEGER NOT NULL);
INSERT INTO tools VALUES ('echo', 'echo', 1), ('system.info', 'sysinfo', 1), ('slow.count', 'slow', 1),
                         ('sqlite.query', 'sqlite_query', 1);
SQL

# Each plugin's configuration (--config); plugins not listed get none.
config_for() {
  case "$1" in
    sqlite_query) printf '{"database":"%s"}' "$DB" ;;
    http_request) printf '{"allowedHosts":["127.0.0.1:%s"],"timeoutMs":5000}' "$HTTP_PORT" ;;
    *) printf '{}' ;;
  esac
}

edge_test() {  # edge_test PLUGIN_NAME ARGS...: `edge-connector test` on build/<preset>/plugins/PLUGIN_NAME.so
  local name=$1 config
  shift
  config=$(config_for "$name")
  if [[ "$config" == "{}" ]]; then
    run "$CLI" test --plugin "$PLUGINS/$name.so" "$@"
  else
    run "$CLI" test --plugin "$PLUGINS/$name.so" --config "$config" "$@"
  fi
}

shopt -s nullglob
plugins=("$PLUGINS"/*.so)
if ((${#plugins[@]} == 0)); then
  echo "sdk-demo.sh: no plugins in $PLUGINS; the examples did not build" >&2
  exit 1
fi

echo
echo "=== 1. the tools of each example plugin"
for so in "${plugins[@]}"; do
  edge_test "$(basename "$so" .so)" --list
done

echo
echo "=== 2. calls"
have() { [[ -f "$PLUGINS/$1.so" ]]; }
if have echo; then
  edge_test echo --tool echo --args '{"text":"hi"}'
  edge_test echo --tool echo --args '{"text":"ab","repeat":3}' --json
fi
if have slow; then
  # Progress lines go to stderr, one per step; the result to stdout.
  edge_test slow --tool slow.count --args '{"steps":5,"step_ms":200}'
fi
if have sysinfo; then
  edge_test sysinfo --tool system.info
  edge_test sysinfo --tool system.processes --args '{"limit":3}'
fi
if have sqlite_query; then
  edge_test sqlite_query --tool sqlite.tables
  edge_test sqlite_query --tool sqlite.query \
    --args '{"sql":"SELECT name, plugin FROM tools WHERE read_only = ?1 ORDER BY name","params":[1]}'
  # A write is refused by the tool itself (a tool error: exit code 1), which is the point of the example.
  expect_exit 1 "the tool returned an error result: this tool is read-only" \
    "$CLI" test --plugin "$PLUGINS/sqlite_query.so" --config "$(config_for sqlite_query)" \
    --tool sqlite.query --args '{"sql":"DELETE FROM tools"}'
fi
if have http_request; then
  for _ in $(seq 50); do  # wait for the web server to listen (at most ~5 s)
    curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/hello.txt" && break
    sleep 0.1
  done
  edge_test http_request --tool http.request --args "{\"method\":\"GET\",\"url\":\"http://127.0.0.1:${HTTP_PORT}/hello.txt\"}"
  # A host outside the allow-list is refused before any connection (a tool error: exit code 1).
  expect_exit 1 "the tool returned an error result: the host is not in allowedHosts" \
    "$CLI" test --plugin "$PLUGINS/http_request.so" --config "$(config_for http_request)" \
    --tool http.request --args '{"method":"GET","url":"http://example.com/"}'
fi
# Invalid arguments never reach the plugin: the host rejects them against inputSchema (exit code 2).
if have echo; then
  expect_exit 2 "a host-level error: invalid params, rejected before the plugin ran" \
    "$CLI" test --plugin "$PLUGINS/echo.so" --tool echo --args '{"text":42}'
fi

echo
echo "=== 3. conformance checks"
for so in "${plugins[@]}"; do
  edge_test "$(basename "$so" .so)" --check
done

echo
echo "sdk-demo.sh: done: ${#plugins[@]} plugins listed, called and checked"
