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
