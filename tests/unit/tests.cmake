# Unit tests, one binary per source file covered (named after it), plus the ws_frame fuzz
# target. Included from tests/CMakeLists.txt, so source paths are relative to tests/.
cohort_test(ws_frame_test unit/ws_frame_test.cpp)
cohort_test(serializer_test unit/serializer_test.cpp)
cohort_test(client_json_test unit/client_json_test.cpp)
cohort_test(topic_table_test unit/topic_table_test.cpp)
cohort_test(local_pubsub_test unit/local_pubsub_test.cpp)
cohort_test(config_test unit/config_test.cpp)
cohort_test(endpoint_test unit/endpoint_test.cpp)
cohort_test(node_test unit/node_test.cpp)

include(${CMAKE_CURRENT_LIST_DIR}/../fuzz/tests.cmake)

# topic_table_test again, with libstdc++'s checked containers (_GLIBCXX_DEBUG) compiled into
# both the test and src/pubsub/topic_table.cpp: it catches an iterator used after the map
# rehashed, which a release build of libstdc++ happens to tolerate.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_executable(topic_table_test_checked unit/topic_table_test.cpp ${PROJECT_SOURCE_DIR}/src/pubsub/topic_table.cpp)
  target_compile_definitions(topic_table_test_checked PRIVATE _GLIBCXX_DEBUG)
  target_include_directories(topic_table_test_checked PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(topic_table_test_checked PRIVATE Boost::json GTest::gtest GTest::gtest_main)
  add_test(NAME topic_table_test_checked COMMAND topic_table_test_checked)
  set_tests_properties(topic_table_test_checked PROPERTIES TIMEOUT 120)
endif()

# The node's exposure to the internet: one path syntax, the static root, Host and Origin.
cohort_test(route_pattern_test unit/route_pattern_test.cpp)
cohort_test(static_files_test unit/static_files_test.cpp)
cohort_test(origin_policy_test unit/origin_policy_test.cpp)
cohort_test(security_headers_test unit/security_headers_test.cpp)
cohort_test(tls_test unit/tls_test.cpp)
