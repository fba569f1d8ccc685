# The pubsub layer: the topic table and local delivery.
cohort_unit_tests(LINKS cohort_pubsub TESTS topic_table_test local_pubsub_test)

# topic_table_test again, with libstdc++'s checked containers (_GLIBCXX_DEBUG) compiled into
# both the test and src/pubsub/topic_table.cpp: it catches an iterator used after the map
# rehashed, which a release build of libstdc++ happens to tolerate.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_executable(topic_table_test_checked ${CMAKE_CURRENT_LIST_DIR}/topic_table_test.cpp
                                          ${PROJECT_SOURCE_DIR}/src/pubsub/topic_table.cpp)
  target_compile_definitions(topic_table_test_checked PRIVATE _GLIBCXX_DEBUG)
  target_include_directories(topic_table_test_checked PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(topic_table_test_checked PRIVATE Boost::json GTest::gtest GTest::gtest_main)
  add_test(NAME topic_table_test_checked COMMAND topic_table_test_checked)
  set_tests_properties(topic_table_test_checked PROPERTIES TIMEOUT 120)
endif()
