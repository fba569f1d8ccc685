# Fuzz targets (docs/testing.md). Each <name>_fuzz.cpp defines LLVMFuzzerTestOneInput for the
# source it is named after, and is built two ways:
#  - <name>_fuzz: a plain executable (any compiler) whose driver replays the committed corpus
#    tests/fuzz/corpus/<name>/ (seeds and every crash found so far) and mutations of it, with a
#    fixed seed; a CTest test (label "fuzz") in every build.
#  - <name>_libfuzzer (-DCOHORT_LIBFUZZER=ON, clang, cmake/sanitize.cmake): the same target under
#    libFuzzer with ASan+UBSan; the CTest test <name>_libfuzzer (label "libfuzzer") runs it for
#    COHORT_FUZZ_SECONDS from that corpus (tests/fuzz/run_libfuzzer.sh). scripts/test runs them
#    in build-asan.
# ws_frame_fuzz keeps its own driver (fuzz_driver.cpp: RFC 6455 edge cases and 20,000 generated
# streams). Paths are relative to tests/ (this file is included from tests/CMakeLists.txt).
set(COHORT_FUZZ_SECONDS 30 CACHE STRING "How long each libFuzzer target runs in its CTest test")
set(COHORT_FUZZ_CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus)

if(COHORT_LIBFUZZER)
  add_custom_target(libfuzzers)  # every <name>_libfuzzer (scripts/build-asan builds it)
endif()

# cohort_fuzz_target(NAME DRIVER_ARGS...): NAME_fuzz.cpp with the replay driver, and NAME_libfuzzer.
function(cohort_fuzz_target name)
  set(corpus ${COHORT_FUZZ_CORPUS}/${name})
  if(NOT name STREQUAL "ws_frame")
    add_executable(${name}_fuzz fuzz/${name}_fuzz.cpp fuzz/fuzz_replay.cpp)
    target_include_directories(${name}_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name}_fuzz PRIVATE cohort)
    add_test(NAME ${name}_fuzz COMMAND ${name}_fuzz ${ARGN} ${corpus})
    set_tests_properties(${name}_fuzz PROPERTIES TIMEOUT 120 LABELS fuzz)
  endif()
  if(COHORT_LIBFUZZER)
    add_executable(${name}_libfuzzer fuzz/${name}_fuzz.cpp)
    target_include_directories(${name}_libfuzzer PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name}_libfuzzer PRIVATE cohort)
    target_compile_options(${name}_libfuzzer PRIVATE -fsanitize=fuzzer)
    target_link_options(${name}_libfuzzer PRIVATE -fsanitize=fuzzer)
    add_dependencies(libfuzzers ${name}_libfuzzer)
    add_test(NAME ${name}_libfuzzer
             COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_libfuzzer.sh $<TARGET_FILE:${name}_libfuzzer> ${corpus}
                     ${PROJECT_BINARY_DIR}/fuzz/${name} ${COHORT_FUZZ_SECONDS})
    math(EXPR timeout "${COHORT_FUZZ_SECONDS} + 120")
    set_tests_properties(${name}_libfuzzer PROPERTIES TIMEOUT ${timeout} LABELS libfuzzer)
  endif()
endfunction()

add_executable(ws_frame_fuzz fuzz/ws_frame_fuzz.cpp fuzz/fuzz_driver.cpp)
target_link_libraries(ws_frame_fuzz PRIVATE cohort_wsframe)
target_include_directories(ws_frame_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src)
add_test(NAME ws_frame_fuzz COMMAND ws_frame_fuzz)
set_tests_properties(ws_frame_fuzz PROPERTIES TIMEOUT 120 LABELS fuzz)

cohort_fuzz_target(ws_frame)
cohort_fuzz_target(http_session)
cohort_fuzz_target(serializer)
cohort_fuzz_target(form)
cohort_fuzz_target(json_patch)
cohort_fuzz_target(template)
cohort_fuzz_target(cluster_wire)
cohort_fuzz_target(store_wire)
