# check_sanitizer_logs.cmake — cmake -DDIR=<dir> -P: fails, printing them, when <dir> holds any
# sanitizer report (tests/sanitize.cmake). With -DCLEAR=1: empties <dir> (the sanitizers write
# into it but do not create it).
if(CLEAR)
  file(REMOVE_RECURSE "${DIR}")
  file(MAKE_DIRECTORY "${DIR}")
  return()
endif()
file(GLOB reports "${DIR}/*")
if(NOT reports)
  message(STATUS "no sanitizer reports in ${DIR}")
  return()
endif()
list(LENGTH reports count)
foreach(report IN LISTS reports)
  file(READ "${report}" text LIMIT 20000)
  message("==== ${report}\n${text}")
endforeach()
message(FATAL_ERROR "${count} sanitizer report(s) from nodes under test: see above")
