// stores_pg.test.mjs — the stores suite (stores_suite.mjs) on PostgreSQL storage: the same
// behaviour, from a PostgreSQL of the test's own (tests/conformance/pg.mjs, loopback).
import { pgForFile } from "./pg.mjs";
import { storesSuite } from "./stores_suite.mjs";

const db = pgForFile("stores");
storesSuite("stores (PostgreSQL)", () => ["--storage", db.url]);
