# Per-client limits (docs/security.md, "Limits per client"): the token bucket behind the message
# and connection rates, per-address accounting, and who the client is behind trusted proxies.
cohort_test(token_bucket_test unit/token_bucket_test.cpp)
cohort_test(client_address_test unit/client_address_test.cpp)
cohort_test(address_limits_test unit/address_limits_test.cpp)
cohort_test(log_clip_test unit/log_clip_test.cpp)
