# Unit tests of the cluster layer's pure parts: the wire codec, the seal on messages between
# nodes, down detection, remote presence.
# (The Redis-facing parts are tested end to end by tests/conformance/cluster_*.test.mjs.)
cohort_test(cluster_wire_test unit/cluster_wire_test.cpp)
cohort_test(cluster_seal_test unit/cluster_seal_test.cpp)
cohort_test(membership_test unit/membership_test.cpp)
cohort_test(remote_presence_test unit/remote_presence_test.cpp)
cohort_test(cluster_config_test unit/cluster_config_test.cpp)
cohort_test(redis_link_test unit/redis_link_test.cpp)  # starts its own redis-server
cohort_test(store_wire_test unit/store_wire_test.cpp)
