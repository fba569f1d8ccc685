# layers.cmake — one static library per layer of src/, linked the way the layers may use each other.
#
# A layer is a folder src/<name>/; its library cohort_<name> holds every .cpp of that folder and
# links the libraries of the layers it USES (and those alone). The same table is the include rule:
# a file of src/<name>/ includes only "cohort/..." (the public API) and headers of <name> and of
# the layers it uses — the CTest `layer_includes` (tests/check_layers.cmake) reads every file
# and fails on any other include. The table is cmake/layer_graph.cmake. Every layer sees src/
# PRIVATE-ly: what the libraries give to an app is include/ alone.

include(${CMAKE_CURRENT_LIST_DIR}/layer_graph.cmake)

# Libraries from outside the project that a layer links PUBLIC-ly.
# spdlog (Debian's libspdlog-dev, compiled, over libfmt-dev) is used by src/log/log.cpp alone.
set(COHORT_LAYER_log_LINKS spdlog::spdlog)
set(COHORT_LAYER_metrics_LINKS prometheus-cpp::core)
set(COHORT_LAYER_net_LINKS cohort_asio cohort_wsframe Boost::json Boost::url)
set(COHORT_LAYER_auth_LINKS OpenSSL::Crypto)
set(COHORT_LAYER_storage_LINKS SQLite::SQLite3)
set(COHORT_LAYER_cluster_LINKS PkgConfig::HIREDIS PostgreSQL::PostgreSQL)
# Without the cluster (COHORT_WITH_CLUSTER=OFF) there is no cluster layer and no PostgreSQL storage:
# postgres_absent.cpp answers open_postgres_storage() with a reason instead.
if(COHORT_WITH_CLUSTER)
  list(APPEND COHORT_LAYER_storage_LINKS PostgreSQL::PostgreSQL)
  set(COHORT_LAYER_storage_EXCLUDE postgres_absent.cpp)
else()
  list(REMOVE_ITEM COHORT_LAYERS cluster)
  set(COHORT_LAYER_storage_EXCLUDE postgres_storage.cpp)
endif()
# Live views sit on a Node (cohort/live.hpp: Live(Node&) adds its socket and routes through the
# node's public API), so the live library links the node's (CMakeLists.txt).
set(COHORT_LAYER_live_LINKS cohort_node)
# The app entry point (cohort/app.hpp) runs a node with live views.
set(COHORT_LAYER_app_LINKS cohort_node)
# The test harnesses read rendered HTML with libxml2.
set(COHORT_LAYER_testing_LINKS cohort_node LibXml2::LibXml2)

# Files of src/net that are libraries of their own (Asio/Beast compiled once; the frame layer,
# shared with the bench client).
set(COHORT_LAYER_net_EXCLUDE asio_impl.cpp ws_frame.cpp ws_deflate.cpp)

# The include directories every Cohort library shows: the public headers, from the source tree
# while building and from <prefix>/include once installed.
function(cohort_public_headers target)
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                              $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endfunction()

foreach(layer IN LISTS COHORT_LAYERS)
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${layer}/*.cpp)
  foreach(excluded IN LISTS COHORT_LAYER_${layer}_EXCLUDE)
    list(REMOVE_ITEM sources ${PROJECT_SOURCE_DIR}/src/${layer}/${excluded})
  endforeach()
  add_library(cohort_${layer} STATIC ${sources})
  cohort_public_headers(cohort_${layer})
  target_include_directories(cohort_${layer} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set(uses)
  foreach(used IN LISTS COHORT_LAYER_${layer}_USES)
    list(APPEND uses cohort_${used})
  endforeach()
  target_link_libraries(cohort_${layer} PUBLIC ${uses} ${COHORT_LAYER_${layer}_LINKS} Boost::json)
endforeach()
