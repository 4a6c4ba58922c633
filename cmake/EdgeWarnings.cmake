# Project-wide warning flags: high, and errors in CI (EDGE_WERROR=ON).
add_library(edge_warnings INTERFACE)
target_compile_options(edge_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor)
if(EDGE_WERROR)
  target_compile_options(edge_warnings INTERFACE -Werror)
endif()
