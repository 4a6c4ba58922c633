#!/usr/bin/env bash
# Runs the full test suite, as CI does (.ci/run calls this script):
#   1. installs the Debian packages (scripts/bootstrap.sh);
#   2. configures and builds with the `ci` preset (RelWithDebInfo, warnings as errors) into build/ci;
#   3. runs every test with ctest;
#   4. out-of-tree checks: installs the SDK into a temporary prefix, builds examples/echo standalone against it
#      with find_package(EdgePluginSdk CONFIG REQUIRED), checks that echo.so exports only
#      edge_plugin_negotiate, and builds and runs examples/sysinfo's tests against the installed
#      EdgePluginSdk::testing package.
# The last line is always "N passed, N failed" (ctest's tests plus the out-of-tree checks). The exit status is
# non-zero when anything failed.
#
# Environment: JOBS (default 2) sets build and test parallelism; BUILD_DIR (default build/ci) the build directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JOBS=${JOBS:-2}
BUILD_DIR=$(realpath -m "${BUILD_DIR:-$ROOT/build/ci}")
# ccache: paths inside the checkout are hashed relative to it, so a fresh clone in another directory reuses the
# cache of earlier builds (CI builds every stop in a new clone).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

passed=0
failed=0
failures=()

summary() {
  if ((${#failures[@]} > 0)); then
    echo "failed: ${failures[*]}"
  fi
  echo "${passed} passed, ${failed} failed"
}

# Records a failure that stops the run (nothing after it can be tested) and exits.
abort() {
  echo "test.sh: $1" >&2
  failures+=("$2")
  failed=$((failed + 1))
  summary
  exit 1
}

check() {  # check NAME COMMAND...: runs one out-of-tree check and counts it
  local name=$1
  shift
  echo "--- check: ${name}"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "test.sh: check '${name}' FAILED" >&2
    failures+=("${name}")
    failed=$((failed + 1))
  fi
}

echo "=== bootstrap"
./scripts/bootstrap.sh || abort "scripts/bootstrap.sh failed; run it by hand (as root or with sudo) to see why" bootstrap

echo "=== configure (preset ci)"
cmake --preset ci -B "$BUILD_DIR" || abort "configure failed; the CMake error above names the missing package or file" configure

echo "=== build (-j${JOBS})"
cmake --build "$BUILD_DIR" -j "${JOBS}" || abort "build failed; the compiler error above names the file (warnings are errors in CI)" build

echo "=== tests"
ctest_log=$(mktemp)
trap 'rm -f "$ctest_log"; [[ -n "${OOT_DIR:-}" ]] && rm -rf "$OOT_DIR"' EXIT
set +e
# The ci test preset's settings (output on failure, 300 s per test), on BUILD_DIR.
ctest --test-dir "$BUILD_DIR" -j "${JOBS}" --output-on-failure --timeout 300 --no-tests=error 2>&1 | tee "$ctest_log"
ctest_rc=${PIPESTATUS[0]}
set -e
# ctest ends with e.g. "97% tests passed, 1 tests failed out of 40" (or "No tests were found!!!").
if line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$ctest_log" | tail -n 1); then
  read -r ctest_failed ctest_total < <(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/' <<<"$line")
  passed=$((passed + ctest_total - ctest_failed))
  failed=$((failed + ctest_failed))
  ((ctest_failed == 0)) || failures+=("ctest(${ctest_failed})")
  if ((ctest_rc != 0 && ctest_failed == 0)); then
    failed=$((failed + 1))
    failures+=("ctest-exit-${ctest_rc}")
  fi
else
  echo "test.sh: ctest printed no summary (exit ${ctest_rc}); see its output above" >&2
  failed=$((failed + 1))
  failures+=("ctest")
fi

echo "=== out-of-tree build against the installed SDK"
OOT_DIR=$(mktemp -d)
PREFIX="$OOT_DIR/prefix"
ECHO_BUILD="$OOT_DIR/echo-build"

install_sdk() {
  cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null &&
    test -f "$PREFIX/include/edge/plugin.h" &&
    test -n "$(find "$PREFIX" -name EdgePluginSdkConfig.cmake -print -quit)"
}
build_echo_out_of_tree() {
  cmake -S "$ROOT/examples/echo" -B "$ECHO_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null &&
    cmake --build "$ECHO_BUILD" -j "${JOBS}"
}
echo_exports_only_entry() {
  local so exports
  so=$(find "$ECHO_BUILD" -name echo.so -print -quit)
  if [[ -z "$so" ]]; then
    echo "no echo.so under $ECHO_BUILD" >&2
    return 1
  fi
  exports=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort)
  if [[ "$exports" != "edge_plugin_negotiate" ]]; then
    echo "echo.so must export only edge_plugin_negotiate; it exports:" >&2
    echo "$exports" >&2
    echo "build plugins with edge_add_tool_plugin() (hidden visibility + version script)" >&2
    return 1
  fi
  echo "echo.so exports: $exports"
}

# With the testing package (EdgePluginSdk::testing) installed, an author's tests build and pass out of tree too.
sysinfo_tests_out_of_tree() {
  local build="$OOT_DIR/sysinfo-build"
  cmake -S "$ROOT/examples/sysinfo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null &&
    cmake --build "$build" -j "${JOBS}" &&
    ctest --test-dir "$build" -j "${JOBS}" --output-on-failure --timeout 120 --no-tests=error
}

check sdk-install install_sdk
check echo-out-of-tree build_echo_out_of_tree
check echo-exports echo_exports_only_entry
if [[ -n "$(find "$PREFIX" -name EdgePluginSdkTestingTargets.cmake -print -quit)" ]]; then
  check sysinfo-tests-out-of-tree sysinfo_tests_out_of_tree
else
  echo "--- skipped: sysinfo-tests-out-of-tree (the install has no EdgePluginSdk::testing package)"
fi

summary
((failed == 0))
