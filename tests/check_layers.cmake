# check_layers.cmake — `cmake -P` script behind the CTest `layer_includes`: every #include "x/..."
# of a file in src/<layer>/ names a header of that layer, of a layer it may use
# (cmake/layer_graph.cmake) or of the public API (cohort/...); src/apps/ includes only its own
# headers and cohort/. Prints each offending line (file:line: include) and fails if there is one.
# -DSOURCE_DIR=<project root>.
cmake_minimum_required(VERSION 3.25)
include(${SOURCE_DIR}/cmake/layer_graph.cmake)
set(COHORT_LAYER_apps_USES)
set(offences 0)
foreach(layer IN LISTS COHORT_LAYERS ITEMS apps)
  set(allowed cohort ${layer} ${COHORT_LAYER_${layer}_USES})
  file(GLOB files ${SOURCE_DIR}/src/${layer}/*.cpp ${SOURCE_DIR}/src/${layer}/*.hpp)
  foreach(file IN LISTS files)
    file(STRINGS ${file} lines REGEX "^#include \"[a-z_]+/")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" used "${line}")
      if(NOT used IN_LIST allowed)
        file(RELATIVE_PATH shown ${SOURCE_DIR} ${file})
        message("${shown}: ${line} — src/${layer} may include only: ${allowed}")
        math(EXPR offences "${offences} + 1")
      endif()
    endforeach()
  endforeach()
endforeach()
if(offences GREATER 0)
  message(FATAL_ERROR "${offences} includes cross the layer graph (cmake/layer_graph.cmake)")
endif()
message("every include of src/ follows cmake/layer_graph.cmake")
