# layer_graph.cmake — which layer of src/ may use which (cmake/layers.cmake links by it; the
# CTest `layer_includes`, tests/check_layers.cmake, checks every #include against it).
# COHORT_LAYER_<name>_USES lists the layers whose headers src/<name>/ may include and whose
# libraries cohort_<name> links; "cohort/..." (include/, the public API) is open to every layer.
# Files directly in src/ (the node) may include any layer; examples/demo/apps/ (the demos) only
# cohort/ and their own headers.
set(COHORT_LAYERS metrics net auth pubsub presence channels storage store live cluster app testing)
# metrics: the hot-path Histogram and the /metrics formatter, used by the layers that record.
set(COHORT_LAYER_metrics_USES)
set(COHORT_LAYER_net_USES metrics)
set(COHORT_LAYER_auth_USES net)
set(COHORT_LAYER_pubsub_USES net metrics)
set(COHORT_LAYER_presence_USES net auth pubsub metrics)
set(COHORT_LAYER_channels_USES net auth presence metrics)
set(COHORT_LAYER_storage_USES auth metrics)
set(COHORT_LAYER_store_USES net storage metrics)
set(COHORT_LAYER_live_USES net auth store metrics)
set(COHORT_LAYER_cluster_USES net auth pubsub presence store storage metrics)
set(COHORT_LAYER_app_USES net auth storage live)
# The test harnesses (cohort/testing.hpp) run a node's pieces without its sockets.
set(COHORT_LAYER_testing_USES net auth pubsub presence channels storage store live metrics)

