# Security tests: each attack on a node that faces strangers, run against a real node, asserting
# the refusal (status, close code, error reason) and that a bystander client is still served.
# Each tests/security/*.test.mjs is one CTest test, `security_<name>`, starting its own node from
# COHORT_BIN (the helpers in tests/conformance/server.mjs).
cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} security 120 security)
# The CSRF test drives Chromium too: one browser at a time, like the browser tests.
if(TEST security_csrf)
  set_tests_properties(security_csrf PROPERTIES RESOURCE_LOCK chromium)
endif()
# cluster_trust starts its own Redis (requirepass + an ACL user) and PostgreSQL, and three nodes.
if(TEST security_cluster_trust)
  set_tests_properties(security_cluster_trust PROPERTIES LABELS "security;cluster")
endif()
# Attacks that also run against the ASan+UBSan node in scripts/test's sanitizer stage (label
# asan, beside every conformance test): the parsers' refusals are where memory bugs would hide.
if(TEST security_parsers)
  set_tests_properties(security_parsers PROPERTIES LABELS "security;asan")
endif()
