# The ws_frame fuzz target, built two ways:
#  - ws_frame_fuzz: a plain executable (any compiler) whose driver runs the target over a
#    hand-made corpus of edge-case frames and 20,000 seeded pseudo-random streams; registered
#    with CTest so CI exercises the target without clang.
#  - ws_frame_libfuzzer (clang only, -DCOHORT_LIBFUZZER=ON): the same target under libFuzzer
#    and ASan/UBSan, with ws_frame.cpp compiled into it so the frame layer is instrumented.
#    Run: ./ws_frame_libfuzzer -max_total_time=60
# Paths are relative to tests/ (this file is included from tests/unit/tests.cmake).
add_executable(ws_frame_fuzz fuzz/ws_frame_fuzz.cpp fuzz/fuzz_driver.cpp)
target_link_libraries(ws_frame_fuzz PRIVATE cohort_wsframe)
add_test(NAME ws_frame_fuzz COMMAND ws_frame_fuzz)
set_tests_properties(ws_frame_fuzz PROPERTIES TIMEOUT 120)

option(COHORT_LIBFUZZER "Build the libFuzzer ws_frame target (clang only)" OFF)
if(COHORT_LIBFUZZER AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_executable(ws_frame_libfuzzer fuzz/ws_frame_fuzz.cpp ${PROJECT_SOURCE_DIR}/src/net/ws_frame.cpp)
  target_include_directories(ws_frame_libfuzzer PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(ws_frame_libfuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(ws_frame_libfuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
