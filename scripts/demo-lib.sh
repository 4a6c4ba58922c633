# scripts/demo-lib.sh: what demo.sh and sdk-demo.sh share (sourced, not run): the build step and the helpers
# that print each command the way you would type it before running it.

# demo_build: installs the Debian packages and builds the preset. Sets BUILD_DIR (default build/<PRESET>).
demo_build() {
  PRESET=${PRESET:-default}
  BUILD_DIR=${BUILD_DIR:-build/${PRESET}}
  JOBS=${JOBS:-2}
  ./scripts/bootstrap.sh
  echo "=== build (preset ${PRESET}, -j${JOBS})"
  cmake --preset "${PRESET}" -B "${BUILD_DIR}" >/dev/null
  cmake --build "${BUILD_DIR}" -j "${JOBS}"
}

show() {  # prints a command the way you would type it (arguments with special characters in single quotes)
  local out='$' a sq="'" esc="'\\''"
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=@+-]+$ ]]; then out+=" $a"; else out+=" '${a//$sq/$esc}'"; fi
  done
  echo
  echo "$out"
}

run() {  # prints the command, then runs it
  show "$@"
  "$@"
}

expect_exit() {  # expect_exit CODE WHY COMMAND...: prints and runs a command that must exit with CODE
  local want=$1 why=$2 rc=0
  shift 2
  show "$@"
  "$@" || rc=$?
  echo "(exit code ${rc}: ${why})"
  if [[ $rc -ne $want ]]; then
    echo "$(basename "$0"): expected exit code ${want}" >&2
    exit 1
  fi
}
