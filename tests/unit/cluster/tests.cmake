# The cluster layer: the wire codec, the seal on messages between nodes, down detection, remote
# presence, settings, store leases and routing, presence replication; the tests that need Redis
# start their own redis-server (tests/support/redis_server.hpp). The Cluster object's own wiring
# is tested end to end by tests/conformance/cluster_*.test.mjs.
cohort_unit_tests(LINKS cohort_cluster TESTS cluster_wire_test cluster_seal_test membership_test
  remote_presence_test store_wire_test redis_link_test store_leases_test cluster_stores_test
  presence_replication_test)
cohort_unit_tests(LINKS cohort_node TESTS cluster_config_test)
