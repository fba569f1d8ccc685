# sanitize.cmake — the sanitizer and fuzzing builds (docs/testing.md); included before any target.
#
#  -DCOHORT_SANITIZE=ON   everything built with AddressSanitizer + UndefinedBehaviorSanitizer;
#                         any UB report aborts like an ASan one (-fno-sanitize-recover), so a
#                         finding fails the test that caused it. scripts/test builds the node this
#                         way in build-asan and runs the conformance tests against it.
#  -DCOHORT_LIBFUZZER=ON  (clang, with COHORT_SANITIZE) the <name>_libfuzzer targets of
#                         tests/fuzz/, and coverage instrumentation (-fsanitize=fuzzer-no-link) of
#                         the sources they fuzz, wherever those are linked: libFuzzer steers by
#                         what it covers there. In a node binary the coverage hooks are the
#                         sanitizer runtime's no-ops.
option(COHORT_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(COHORT_LIBFUZZER "Build the libFuzzer targets of tests/fuzz (clang, with COHORT_SANITIZE)" OFF)

if(COHORT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(COHORT_LIBFUZZER)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "COHORT_LIBFUZZER needs clang: configure with CXX=clang++")
  endif()
  if(NOT COHORT_SANITIZE)
    message(FATAL_ERROR "COHORT_LIBFUZZER runs the targets under ASan+UBSan: add -DCOHORT_SANITIZE=ON")
  endif()
  # What the fuzz targets exercise (tests/fuzz/*_fuzz.cpp); asio_impl.cpp holds Beast's parser.
  set_source_files_properties(
    src/net/asio_impl.cpp src/net/ws_frame.cpp src/net/client_json.cpp src/net/query.cpp
    src/net/route_pattern.cpp src/net/origin_policy.cpp src/channels/serializer.cpp src/live/form.cpp
    src/live/template_parser.cpp src/live/template_context.cpp src/live/template.cpp src/live/rendering.cpp
    src/live/scope.cpp src/store/json_patch.cpp src/storage/stored_json.cpp src/cluster/cluster_wire.cpp
    src/cluster/store_wire.cpp
    PROPERTIES COMPILE_OPTIONS -fsanitize=fuzzer-no-link)
endif()
