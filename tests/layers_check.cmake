# The layer graph holds: no file of src/<layer>/ includes a layer it may not use (tests/check_layers.cmake).
add_test(NAME layer_includes COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -P ${CMAKE_CURRENT_LIST_DIR}/check_layers.cmake)
