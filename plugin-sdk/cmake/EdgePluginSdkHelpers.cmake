# edge_add_tool_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...] [OUTPUT_DIRECTORY <dir>])
#
# Builds a tool plugin: a MODULE library with hidden visibility and -fPIC, exporting only
# edge_plugin_negotiate (so two plugins carrying different versions of a library never collide, and no
# STB_GNU_UNIQUE symbol pins the library in memory), linked with --no-undefined so a missing symbol fails the
# build instead of the load.


function(edge_add_tool_plugin target)
  set(_EDGE_PLUGIN_SDK_HELPERS_DIR "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "edge_add_tool_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LINK_DEPENDS "${_EDGE_PLUGIN_SDK_HELPERS_DIR}/edge_plugin.map")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  target_link_libraries(${target} PRIVATE EdgePluginSdk::sdk ${ARG_LIBRARIES})
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_EDGE_PLUGIN_SDK_HELPERS_DIR}/edge_plugin.map"
    "LINKER:--no-undefined")
endfunction()

# edge_add_tool_plugin_test(<test> PLUGIN <plugin target> SOURCES <src>... [LIBRARIES <lib>...] [LABELS <label>...])
#
# A GoogleTest executable for a plugin's tests, built only when the testing package (EdgePluginSdk::testing,
# edge/testing.hpp) is available, so a plugin project still builds without GoogleTest. EDGE_PLUGIN_FILE is the
# built plugin's path, for edge::testing::PluginUnderTest; list the plugin's own sources in SOURCES too to drive
# it through edge::testing::FakeHost without dlopen.
# A macro, so enable_testing() runs in the caller's directory scope (inside a function it has no effect).
macro(edge_add_tool_plugin_test)
  if(TARGET EdgePluginSdk::testing)
    enable_testing()
  endif()
  _edge_add_tool_plugin_test(${ARGV})
endmacro()

function(_edge_add_tool_plugin_test test)
  cmake_parse_arguments(ARG "" "PLUGIN" "SOURCES;LIBRARIES;LABELS" ${ARGN})
  if(NOT TARGET EdgePluginSdk::testing)
    return()
  endif()
  if(NOT ARG_PLUGIN OR NOT ARG_SOURCES)
    message(FATAL_ERROR "edge_add_tool_plugin_test(${test}): PLUGIN and SOURCES are required")
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS plugin)
  endif()
  include(GoogleTest)
  add_executable(${test} ${ARG_SOURCES})
  target_link_libraries(${test} PRIVATE EdgePluginSdk::testing GTest::gtest_main ${ARG_LIBRARIES})
  target_compile_definitions(${test} PRIVATE EDGE_PLUGIN_FILE="$<TARGET_FILE:${ARG_PLUGIN}>")
  set_target_properties(${test} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  add_dependencies(${test} ${ARG_PLUGIN})
  string(REPLACE ";" "\\;" labels "${ARG_LABELS}")
  gtest_discover_tests(${test} DISCOVERY_TIMEOUT 30 PROPERTIES LABELS "${labels}")
endfunction()
