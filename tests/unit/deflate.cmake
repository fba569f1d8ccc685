# permessage-deflate (RFC 7692): compression, inflation limits, RSV1 rules, negotiation.
cohort_test(ws_deflate_test unit/ws_deflate_test.cpp)
