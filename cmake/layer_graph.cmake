# layer_graph.cmake — which layer of src/ may use which (cmake/layers.cmake links by it; the
# CTest `layer_includes`, tests/check_layers.cmake, checks every #include against it).
# COHORT_LAYER_<name>_USES lists the layers whose headers src/<name>/ may include and whose
# libraries cohort_<name> links; "cohort/..." (include/, the public API) is open to every layer.
# Files directly in src/ (the node) may include any layer; examples/demo/apps/ (the demos) only
# cohort/ and their own headers.
# log (src/log/, the node's log lines) is the bottom layer: every other layer may use it.
# metrics (src/metrics/: the hot-path Histogram and the /metrics formatter) sits beside it, used by
# the layers that record.
set(COHORT_LAYERS log metrics net auth pubsub presence channels storage store live cluster app testing)
set(COHORT_LAYER_log_USES)
set(COHORT_LAYER_metrics_USES)
set(COHORT_LAYER_net_USES log metrics)
set(COHORT_LAYER_auth_USES log net)
set(COHORT_LAYER_pubsub_USES log net metrics)
set(COHORT_LAYER_presence_USES log net auth pubsub metrics)
set(COHORT_LAYER_channels_USES log net auth presence metrics)
set(COHORT_LAYER_storage_USES log auth metrics)
set(COHORT_LAYER_store_USES log net storage metrics)
set(COHORT_LAYER_live_USES log net auth store metrics)
set(COHORT_LAYER_cluster_USES log net auth pubsub presence store storage metrics)
set(COHORT_LAYER_app_USES log net auth storage live)
# The test harnesses (cohort/testing.hpp) run a node's pieces without its sockets.
set(COHORT_LAYER_testing_USES log net auth pubsub presence channels storage store live metrics)

