# The cluster layer: the wire codec, the seal on messages between nodes, down detection, remote
# presence, settings; redis_link_test, store_leases_test and cluster_stores_test start their own redis-server
# (tests/support/redis_server.hpp). The rest is tested end to end by
# tests/conformance/cluster_*.test.mjs.
cohort_unit_tests(LINKS cohort_cluster TESTS cluster_wire_test cluster_seal_test membership_test
  remote_presence_test store_wire_test redis_link_test store_leases_test cluster_stores_test)
cohort_unit_tests(LINKS cohort_node TESTS cluster_config_test)
