#!/bin/sh
# The ctest entry points of the browser suite (CMakeLists.txt). Checks the tools first, so a missing one fails
# with the fix instead of an obscure error.
#   run.sh npm-ci <source dir> <dest dir>   installs playwright-core from the committed lock into <dest dir>
#   run.sh test <file.test.mjs>...          runs the files with node's test runner against the real binaries
set -u
fail() { echo "browser tests: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is missing: run scripts/bootstrap.sh (Debian package nodejs)"
major=$(node -p 'process.versions.node.split(".")[0]')
# playwright-core 1.61 (pinned) supports node 18, Debian 12's own nodejs; this suite is developed on node 20.
[ "$major" -ge 18 ] 2>/dev/null ||
  fail "node $(node --version) is too old: playwright-core needs node 18+ (Debian 12's nodejs package)"
mode=$1; shift
case "$mode" in
  npm-ci)
    command -v npm >/dev/null 2>&1 || fail "npm is missing: run scripts/bootstrap.sh (Debian package npm)"
    mkdir -p "$2" && cp "$1/package.json" "$1/package-lock.json" "$2/" || fail "cannot copy package files to $2"
    cd "$2" && exec npm ci --no-audit --no-fund
    ;;
  test)
    chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"
    [ -x "$chromium" ] || fail "chromium is missing at $chromium: apt-get install chromium (or run scripts/bootstrap.sh)"
    for bin in "${EDGE_PLATFORM_BIN:-}" "${EDGE_CONNECTOR_BIN:-}"; do
      [ -x "$bin" ] || fail "'$bin' is not built: cmake --build <dir> --target edge-platform edge-connector"
    done
    [ -d "${EDGE_BROWSER_NODE_MODULES:-}/playwright-core" ] ||
      fail "playwright-core is not in ${EDGE_BROWSER_NODE_MODULES:-}: run the ctest fixture browser_npm_ci"
    mkdir -p "$EDGE_BROWSER_ARTIFACTS"
    # One file per ctest test, so files never run concurrently; ctest's TIMEOUT bounds each run, and node 20+
    # also bounds each test (--test-timeout does not exist in node 18).
    if [ "$major" -ge 20 ]; then
      node --test --test-timeout=150000 "$@"
    else
      node --test "$@"
    fi
    rc=$?
    echo "browser tests: screenshots and failure artifacts in $EDGE_BROWSER_ARTIFACTS"
    exit $rc
    ;;
  *) fail "usage: run.sh npm-ci <src> <dest> | run.sh test <files>" ;;
esac
