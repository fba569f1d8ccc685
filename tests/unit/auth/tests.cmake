# The auth layer: token kinds and expiry, secret files, URL redaction, API tokens, sign-in
# grants and redirect targets.
cohort_unit_tests(LINKS cohort_auth TESTS token_test secret_file_test redact_test api_auth_test grants_test)
