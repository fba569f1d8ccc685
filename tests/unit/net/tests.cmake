# The net layer: WebSocket frames and permessage-deflate, client JSON within the parser limits,
# routes, static files, Host/Origin, security headers, TLS, query strings, and the per-client
# limits (token bucket, per-address accounting, who the client is behind trusted proxies), and
# LongPoll bodies and frame payloads.
cohort_unit_tests(LINKS cohort_net TESTS
  ws_frame_test ws_deflate_test client_json_test route_pattern_test static_files_test origin_policy_test
  security_headers_test tls_test query_test token_bucket_test client_address_test address_limits_test
  log_clip_test long_poll_wire_test)
# One WebSocket connection (src/net/ws_connection.*) over a real loopback socket, plain or TLS:
# queue limit, pongs, the close handshake and its deadline, permessage-deflate.
cohort_unit_tests(LINKS cohort_net TESTS ws_connection_test)
# client_json_test also checks the channels serializer's use of the parse.
target_link_libraries(client_json_test PRIVATE cohort_channels)
