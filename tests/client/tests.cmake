# The JavaScript client (clients/js, @cohort/client) against real nodes: each
# tests/client/*.test.mjs is one CTest test, `client_<name>`, starting its own nodes (and, for the
# cluster, its own Redis and PostgreSQL) from COHORT_BIN.
cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} client 180 client)
