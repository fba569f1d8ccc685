# The auth layer: token kinds and expiry, secret files, URL redaction, API tokens, sign-in
# grants and redirect targets.
cohort_test(token_test unit/token_test.cpp)
cohort_test(secret_file_test unit/secret_file_test.cpp)
cohort_test(redact_test unit/redact_test.cpp)
cohort_test(api_auth_test unit/api_auth_test.cpp)
cohort_test(grants_test unit/grants_test.cpp)
cohort_test(signin_test unit/signin_test.cpp)
