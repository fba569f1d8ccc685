# install.cmake — `cmake --install build --prefix P` (docs/apps.md):
#   P/include/cohort/                   the public headers (the whole API an app sees)
#   P/lib/libcohort_*.a                 one static library per layer, and the node's and app's
#   P/lib/cmake/Cohort/                 CohortConfig.cmake (+ version file, + targets):
#                                       find_package(Cohort 0.2 REQUIRED) gives Cohort::cohort
#   P/lib/pkgconfig/cohort.pc           the same for pkg-config
#   P/bin/cohort                        the demo apps' binary (README command 1)
#   P/share/cohort/{static,templates,node_modules/...}
#                                       the runtime files a node finds beside its binary
#                                       (src/net/runtime_files.hpp): Cohort's page assets and
#                                       the pinned phoenix / phoenix_live_view bundles (and the ES
#                                       modules of pages without a bundler), and the demo's
#                                       pages and templates, and Cohort's own operator page
#                                       (operator/admin.html, the admin dashboard)
#   P/share/cohort/clients/js/          the JavaScript client, an npm package (@cohort/client)
include(CMakePackageConfigHelpers)

set(COHORT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Cohort)
# The runtime files (share/cohort): CohortConfig.cmake tells apps where they are (Cohort_RUNTIME_DIR).
set(COHORT_INSTALL_RUNTIMEDIR ${CMAKE_INSTALL_DATADIR}/cohort)
list(TRANSFORM COHORT_LAYERS PREPEND cohort_ OUTPUT_VARIABLE cohort_layer_libraries)
install(TARGETS cohort cohort_testing_api cohort_node ${cohort_layer_libraries} cohort_asio cohort_wsframe
        EXPORT CohortTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/cohort DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT CohortTargets NAMESPACE Cohort:: DESTINATION ${COHORT_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/CohortConfig.cmake.in ${PROJECT_BINARY_DIR}/CohortConfig.cmake
                              INSTALL_DESTINATION ${COHORT_INSTALL_CMAKEDIR} PATH_VARS COHORT_INSTALL_RUNTIMEDIR)
# 0.x: a minor version may change the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/CohortConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/CohortConfig.cmake ${PROJECT_BINARY_DIR}/CohortConfigVersion.cmake
        DESTINATION ${COHORT_INSTALL_CMAKEDIR})

# pkg-config: static libraries in link order (each layer before the ones it uses).
set(cohort_pc_libs "-lcohort_app -lcohort_live -lcohort_node")
foreach(layer cluster channels presence pubsub store storage auth net metrics log)
  if(layer IN_LIST COHORT_LAYERS)
    string(APPEND cohort_pc_libs " -lcohort_${layer}")
  endif()
endforeach()
# What the libraries need from pkg-config, and CohortConfig.cmake's find_dependency of the cluster's.
set(cohort_pc_requires "openssl zlib sqlite3 spdlog prometheus-cpp-core")
if(COHORT_WITH_CLUSTER)
  string(APPEND cohort_pc_requires " libpq hiredis")
endif()
string(APPEND cohort_pc_libs " -lcohort_wsframe -lcohort_asio")
# The prefix relative to the .pc file, so that the package works wherever --prefix put it.
file(RELATIVE_PATH cohort_pc_up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" cohort_pc_up "${cohort_pc_up}")
configure_file(cmake/cohort.pc.in ${PROJECT_BINARY_DIR}/cohort.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cohort.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET cohort_demo)
  install(TARGETS cohort_demo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY static templates scaffold operator DESTINATION ${COHORT_INSTALL_RUNTIMEDIR})
foreach(bundle phoenix/priv/static/phoenix.min.js phoenix_live_view/priv/static/phoenix_live_view.min.js
       phoenix/priv/static/phoenix.mjs fast-json-patch/index.mjs fast-json-patch/module/core.mjs
       fast-json-patch/module/duplex.mjs fast-json-patch/module/helpers.mjs
       phoenix/LICENSE.md fast-json-patch/LICENSE.txt)
  get_filename_component(dir ${bundle} DIRECTORY)
  install(FILES node_modules/${bundle} DESTINATION ${COHORT_INSTALL_RUNTIMEDIR}/node_modules/${dir})
endforeach()
# The JavaScript client (@cohort/client, docs/js-client.md): an app depends on it with
# `npm install --install-links <prefix>/share/cohort/clients/js`; the node serves its index.js.
install(FILES clients/js/package.json clients/js/index.js clients/js/index.d.ts clients/js/README.md
        DESTINATION ${COHORT_INSTALL_RUNTIMEDIR}/clients/js)
