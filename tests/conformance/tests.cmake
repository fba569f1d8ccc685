# Conformance tests: the official `phoenix` npm client (and raw WebSocket/TCP clients) against a
# running node. Each tests/conformance/*.test.mjs is one CTest test, `conformance_<name>`; each
# starts its own `cohort serve --port 0` from COHORT_BIN. Needs node and `npm ci` (scripts/setup)
# so that node_modules/ holds phoenix and ws.
cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} conformance 120 conformance)
# conformance_metrics also runs `promtool check metrics` (Debian's prometheus package, scripts/setup)
# on the node's /metrics, and starts a cluster (redis-server) like the cluster_* tests.
