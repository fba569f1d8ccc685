# Durability tests: what was acknowledged loads again. A model-based run (random ops, SIGKILLs at
# random points, a check after every restart) on SQLite and PostgreSQL, storage faults, backups.
# Each tests/durability/*.test.mjs is one CTest test, `durability_<name>`, starting its own nodes
# from COHORT_BIN (and its own PostgreSQL where it needs one).
cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} durability 300 durability)
