#!/usr/bin/env bash
# The main job: the whole product on one machine, end to end.
#   1. builds everything (scripts/bootstrap.sh installs the Debian packages first);
#   2. starts edge-platform in a temporary data dir (free loopback ports);
#   3. creates an org, an admin token and a deployment with `edge-platform admin`;
#   4. packages the example plugins into a bundle (`edge-connector package`), uploads it and assigns it to the
#      deployment (`edge-connector upload`, `bundle assign`);
#   5. starts `edge-connector run` in an empty installation directory, authenticated with the deployment's
#      credentials: it downloads, verifies and installs the bundle by itself;
#   6. calls several tools through the platform's API with `edge-connector call`: results, a tool error,
#      invalid arguments, progress, a timeout;
#   7. publishes version 2 of the bundle: the connector is told at once, swaps it in without a restart, and
#      the next call sees it;
#   8. webhooks: provisions an edge-relay webhook, posts a provider-style delivery to the connector's local relay
#      and reads it back from the platform (docs/webhook-relay.md);
#   9. a cloud connector: the platform itself hosts a connector for a second deployment (provision, start, a
#      call, status, stop, delete; docs/cloud-connectors.md);
#  10. the admin console: a one-time sign-in link and the pages' security headers (docs/console.md);
#  11. prints the connector's /statusz summary (`edge-connector status`);
#  12. stops both cleanly (SIGTERM: the connector drains and exits 0). With KEEP_PLATFORM=1 the platform keeps
#      running after the connector stopped, so the console link can be opened in a browser; Ctrl-C ends it.
# Exits non-zero when a step fails. The plugin SDK walkthrough without a platform is scripts/sdk-demo.sh.
#
# Environment: PRESET (default "default"), BUILD_DIR (default build/<PRESET>), JOBS (default 2).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/demo-lib.sh
demo_build

BIN="${BUILD_DIR}/bin"
CLI="${BIN}/edge-connector"
PLATFORM="${BIN}/edge-platform"
PLUGINS="${BUILD_DIR}/plugins"
for f in "$CLI" "$PLATFORM"; do
  [[ -x "$f" ]] || { echo "demo.sh: $f was not built; check the build output above" >&2; exit 1; }
done

WORK=$(mktemp -d)
PLATFORM_PID="" CONNECTOR_PID="" HTTP_PID=""
cleanup() {
  for pid in $CONNECTOR_PID $PLATFORM_PID $HTTP_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_line() {  # wait_for_line FILE PATTERN SECONDS: prints the first matching line
  local file=$1 pattern=$2 deadline=$((SECONDS + $3)) line
  while ((SECONDS < deadline)); do
    if line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null); then echo "$line"; return 0; fi
    sleep 0.05
  done
  echo "demo.sh: timed out waiting for '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

echo
echo "=== 1. start the platform"
DATA="$WORK/platform-data"
show "$PLATFORM" serve --data-dir "$DATA" --api-listen 127.0.0.1:0 --rpc-listen 127.0.0.1:0
"$PLATFORM" serve --data-dir "$DATA" --api-listen 127.0.0.1:0 --rpc-listen 127.0.0.1:0 --cloud-stop-on-exit \
  >"$WORK/platform.log" 2>&1 &
PLATFORM_PID=$!
line=$(wait_for_line "$WORK/platform.log" 'edge-platform listening' 20)
echo "$line"
API_URL=$(sed -E 's/.*api=([^ ]+).*/\1/' <<<"$line")
RPC_URL=$(sed -E 's/.*rpc=([^ ]+).*/\1/' <<<"$line")

echo
echo "=== 2. an org, an admin token and a deployment"
show "$PLATFORM" admin --data-dir "$DATA" create-org --name demo
ORG=$("$PLATFORM" admin --data-dir "$DATA" create-org --name demo)
echo "$ORG"
show "$PLATFORM" admin --data-dir "$DATA" issue-token --org "$ORG" --role admin --ttl 3600
TOKEN=$("$PLATFORM" admin --data-dir "$DATA" issue-token --org "$ORG" --role admin --ttl 3600)
echo "${TOKEN:0:24}… (an EdDSA JWT)"
show "$PLATFORM" admin --data-dir "$DATA" create-deployment --org "$ORG" --name demo-site --json
DEPLOYMENT_JSON=$("$PLATFORM" admin --data-dir "$DATA" create-deployment --org "$ORG" --name demo-site --json)
DEPLOYMENT_ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$DEPLOYMENT_JSON")
DEPLOYMENT_SECRET=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$DEPLOYMENT_JSON")
echo "deployment ${DEPLOYMENT_ID} (its secret is shown once, and passed to the connector below)"

echo
echo "=== 3. package the example plugins as a bundle, upload it, assign it to the deployment"
# The admin token goes in EDGE_ADMIN_TOKEN (not on the command line, where ps and shell history would see it).
export EDGE_ADMIN_TOKEN="$TOKEN"
IMPL="$WORK/implementations"
mkdir -p "$IMPL" "$WORK/www" "$WORK/out"
cp "$PLUGINS"/*.so "$IMPL/"
echo "hello from the demo web server" >"$WORK/www/hello.txt"
HTTP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$WORK/www" >/dev/null 2>&1 &
HTTP_PID=$!
sqlite3 "$WORK/demo.db" <<'SQL'
CREATE TABLE tools(name TEXT PRIMARY KEY, plugin TEXT NOT NULL);
INSERT INTO tools VALUES ('echo', 'echo'), ('system.info', 'sysinfo'), ('slow.count', 'slow'), ('sqlite.query', 'sqlite_query');
SQL
# A plugin's configuration is the JSON file next to it; it travels in the bundle (docs/bundles.md).
printf '{"database":"%s"}' "$WORK/demo.db" >"$IMPL/sqlite_query.json"
printf '{"allowedHosts":["127.0.0.1:%s"],"timeoutMs":5000}' "$HTTP_PORT" >"$IMPL/http_request.json"
run "$CLI" package --implementations "$IMPL" --out "$WORK/out"
ARCHIVE=$(ls "$WORK/out"/edge-bundle-*.tgz)
run "$CLI" upload --api "$API_URL" --file "$ARCHIVE" --name examples
BUNDLE_ID=$("$CLI" bundle list --api "$API_URL" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundles"][0]["id"])')
run "$CLI" bundle assign "$BUNDLE_ID" --deployment "$DEPLOYMENT_ID" --api "$API_URL"

echo
echo "=== 4. start the connector in an empty installation directory: it installs the bundle by itself"
INSTALL="$WORK/connector"
mkdir -p "$INSTALL"
cat >"$INSTALL/config.json" <<JSON
{"toolRpcUrl": "${RPC_URL}", "platformApiUrl": "${API_URL}", "healthHost": "127.0.0.1", "healthPort": 0, "webhookRelayPort": 0}
JSON
echo "config.json: $(cat "$INSTALL/config.json")"
# The webhook relay listens on loopback only: this demo's "provider" (curl) runs on the same machine.
show env DEPLOYMENT_ID="$DEPLOYMENT_ID" DEPLOYMENT_SECRET='…' NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN=0 \
  "$CLI" run --install-dir "$INSTALL"
DEPLOYMENT_ID="$DEPLOYMENT_ID" DEPLOYMENT_SECRET="$DEPLOYMENT_SECRET" NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN=0 \
  "$CLI" run --install-dir "$INSTALL" >"$WORK/connector.log" 2>&1 &
CONNECTOR_PID=$!
line=$(wait_for_line "$WORK/connector.log" 'health server on http://' 20)
HEALTH_URL=$(sed -E 's|.*(http://[^ ]+).*|\1|' <<<"$line")
wait_for_line "$WORK/connector.log" 'swapped to .* v1' 30 >/dev/null
for _ in $(seq 400); do
  curl -sf -o /dev/null "$HEALTH_URL/healthz" && break
  sleep 0.05
done
run curl -s "$HEALTH_URL/healthz"
echo
grep -E 'bundle sync|swapped to|serving [0-9]+ tools' "$WORK/connector.log" || true

echo
echo "=== 5. calls through the platform"
call() { run "$CLI" call --api "$API_URL" "$@"; }
call echo --args '{"text":"hello through the platform"}'
call system.info
call sqlite.query --args '{"sql":"SELECT name, plugin FROM tools ORDER BY name"}'
call slow.count --args '{"steps":5,"step_ms":100}'
call http.request --args "{\"method\":\"GET\",\"url\":\"http://127.0.0.1:${HTTP_PORT}/hello.txt\"}"
call edge.ping --deployment "$DEPLOYMENT_ID"
expect_exit 1 "the tool returned an error result: sqlite.query is read-only" \
  "$CLI" call --api "$API_URL" sqlite.query --args '{"sql":"DELETE FROM tools"}'
expect_exit 2 "invalid params: rejected by the connector before the plugin ran (HTTP 400)" \
  "$CLI" call --api "$API_URL" echo --args '{"text":42}'
expect_exit 2 "the call outlived its 300 ms limit and was cancelled on the connector (HTTP 504)" \
  "$CLI" call --api "$API_URL" slow.count --args '{"steps":50,"step_ms":100}' --timeout-ms 300

echo
echo "=== 6. version 2 of the bundle: pushed, verified and swapped in without a restart"
printf '{"allowedHosts":["127.0.0.1:%s"],"timeoutMs":4000}' "$HTTP_PORT" >"$IMPL/http_request.json"
rm -f "$WORK/out"/*.tgz
run "$CLI" upload --api "$API_URL" --implementations "$IMPL" --out "$WORK/out" --bundle-id "$BUNDLE_ID"
wait_for_line "$WORK/connector.log" 'swapped to .* v2' 30
call http.request --args "{\"method\":\"GET\",\"url\":\"http://127.0.0.1:${HTTP_PORT}/hello.txt\"}"
run "$CLI" bundle list --api "$API_URL"

echo
echo "=== 7. webhooks through the connector's local relay"
api() {  # api METHOD PATH [JSON]: the platform's REST API with the admin token
  curl -sS -X "$1" -H "Authorization: Bearer $EDGE_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "${API_URL%/}$2"
}
wait_for_line "$WORK/connector.log" 'Webhook relay listening on' 10
echo "A provider on another machine could never reach a loopback relay, so the platform refuses it:"
show api POST /api/v1/integrations/github-main/webhooks "{\"deploymentId\":\"$DEPLOYMENT_ID\",\"mode\":\"edge-relay\",\"providerBaseUrl\":\"https://ghe.corp.example\"}"
api POST /api/v1/integrations/github-main/webhooks \
  "{\"deploymentId\":\"$DEPLOYMENT_ID\",\"mode\":\"edge-relay\",\"providerBaseUrl\":\"https://ghe.corp.example\"}"
echo
echo "A provider on this machine, with an HMAC secret:"
HOOK_JSON=$(api POST /api/v1/integrations/github-main/webhooks \
  "{\"deploymentId\":\"$DEPLOYMENT_ID\",\"mode\":\"edge-relay\",\"providerBaseUrl\":\"http://127.0.0.1:9000\",\"hmac\":{\"secret\":\"demo-secret\"}}")
echo "$HOOK_JSON"
HOOK_URL=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])' <<<"$HOOK_JSON")
BODY='{"ref":"refs/heads/main","commits":1}'
SIG="sha256=$(python3 -c 'import hashlib,hmac,sys; print(hmac.new(b"demo-secret", sys.argv[1].encode(), hashlib.sha256).hexdigest())' "$BODY")"
# The relay gets the list of webhooks over the link right after the webhook is created; retry briefly.
for _ in $(seq 100); do
  code=$(curl -s -o "$WORK/hook.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: $SIG" --data "$BODY" "$HOOK_URL")
  [[ $code == 202 ]] && break
  sleep 0.05
done
show curl -X POST -H 'X-GitHub-Event: push' -H 'X-Hub-Signature-256: sha256=…' --data "$BODY" "${HOOK_URL%/*}/<token>"
echo "HTTP $code $(cat "$WORK/hook.out")"
[[ $code == 202 ]] || { echo "demo.sh: the relay did not accept the delivery" >&2; exit 1; }
echo "A wrong token is refused:"
curl -s -w ' (HTTP %{http_code})\n' -X POST --data '{}' "${HOOK_URL%/*}/wrong-token"
for _ in $(seq 100); do
  DELIVERIES=$(api GET /api/v1/integrations/github-main/deliveries)
  grep -q '"deliveryId"' <<<"$DELIVERIES" && break
  sleep 0.05
done
echo "The platform stored it (relayed over the connector's link):"
python3 - "$DELIVERIES" <<'PY'
import base64, json, sys
for d in json.loads(sys.argv[1])["deliveries"]:
    print(f"  {d['deliveryId']} via {d['via']}: {d['method']} {d['path']} signature={d['signature']}")
    print(f"    headers {d['headers']}")
    print(f"    body    {base64.b64decode(d['bodyBase64']).decode()}")
PY
grep -q '"signature":"verified"' <<<"$DELIVERIES" || { echo "demo.sh: the delivery did not arrive verified" >&2; exit 1; }

echo
echo "=== 8. a cloud connector: the platform hosts a connector for a second deployment"
CLOUD_DEP=$("$PLATFORM" admin --data-dir "$DATA" create-deployment --org "$ORG" --name demo-cloud --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "deployment ${CLOUD_DEP}: nothing installed anywhere for it"
run "$CLI" bundle assign "$BUNDLE_ID" --deployment "$CLOUD_DEP" --api "$API_URL"
run "$CLI" cloud provision --deployment "$CLOUD_DEP" --api "$API_URL" --wait
run "$CLI" cloud start --deployment "$CLOUD_DEP" --api "$API_URL" --wait
call echo --deployment "$CLOUD_DEP" --args '{"text":"hello from a platform-hosted connector"}'
run "$CLI" cloud status --deployment "$CLOUD_DEP" --api "$API_URL"
expect_exit 1 "delete is refused while it runs: the message names the state and what is allowed" \
  "$CLI" cloud delete --deployment "$CLOUD_DEP" --api "$API_URL"
run "$CLI" cloud stop --deployment "$CLOUD_DEP" --api "$API_URL" --wait
run "$CLI" cloud delete --deployment "$CLOUD_DEP" --api "$API_URL"

echo
echo "=== 9. the admin console: one-time sign-in links, pages served by the platform itself"
show "$PLATFORM" admin --data-dir "$DATA" console-link --org "$ORG"
CONSOLE_LINK=$("$PLATFORM" admin --data-dir "$DATA" console-link --org "$ORG")
echo "$CONSOLE_LINK   (valid once, for 10 minutes; KEEP_PLATFORM=1 keeps the platform up to open it)"
show curl -s -D - -o /dev/null "$API_URL/console/"
curl -sf -D - -o /dev/null "$API_URL/console/" | grep -iE '^(HTTP|content-type|content-security-policy|x-frame-options)'
echo "without a session, the API behind the pages answers 401:"
curl -s "$API_URL/console/api/session"; echo

echo
echo "=== 10. the connector's status"
run "$CLI" status --url "$HEALTH_URL"

echo
echo "=== 11. stop cleanly"
show kill -TERM "$CONNECTOR_PID"
kill -TERM "$CONNECTOR_PID"
rc=0
wait "$CONNECTOR_PID" || rc=$?
CONNECTOR_PID=""
grep -E 'received SIGTERM|drained|stopped' "$WORK/connector.log" || true
[[ $rc -eq 0 ]] || { echo "demo.sh: the connector exited with $rc" >&2; tail -20 "$WORK/connector.log" >&2; exit 1; }
if [[ "${KEEP_PLATFORM:-0}" == 1 ]]; then
  echo "the platform keeps running (KEEP_PLATFORM=1): open $CONSOLE_LINK, then Ctrl-C here"
  wait "$PLATFORM_PID" || true
fi
kill -TERM "$PLATFORM_PID" 2>/dev/null || true
wait "$PLATFORM_PID" || true
PLATFORM_PID=""
echo
echo "demo.sh: done: platform + connector + example tools + webhook relay + a cloud connector + the admin console, end to end (connector exit code 0)"
