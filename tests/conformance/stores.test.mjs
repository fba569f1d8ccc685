// stores.test.mjs — the stores suite (stores_suite.mjs) on the embedded SQLite storage.
import { storesSuite } from "./stores_suite.mjs";

storesSuite("stores (SQLite)");
