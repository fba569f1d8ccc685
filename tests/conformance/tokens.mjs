// tokens.mjs — signs Cohort tokens for tests: base64url(JSON claims) "." base64url(HMAC-SHA256).
// The same format as include/cohort/token.hpp: every token carries "kind" (session, visitor,
// grant, api, socket) and "exp" (Unix seconds). Servers under test run with --secret SECRET, or
// with the secret the node created in its data dir (secretOf reads either).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// At least 32 bytes: a node refuses a shorter --secret.
export const SECRET = "conformance-secret-of-thirty-two-bytes-or-more";

// A token holding exactly these claims (no kind or exp added: for malformed-token tests).
export function token(claims, secret = SECRET) {
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const mac = crypto.createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${mac}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// A token of kind, valid for ttlSeconds (negative: already expired).
export function signed(kind, claims, { ttlSeconds = 3600, secret = SECRET } = {}) {
  return token({ ...claims, kind, exp: nowSeconds() + ttlSeconds }, secret);
}

// The join credential of store:* topics: {sub, roles}.
export const socketToken = (claims, opts) => signed("socket", claims, opts);

// The secret a running node (server.mjs handle) signs with: its --secret, else <data-dir>/secret.
export function secretOf(server) {
  const i = server.args.indexOf("--secret");
  if (i >= 0) return server.args[i + 1];
  return fs.readFileSync(path.join(server.dataDir, "secret"), "utf8").trim();
}

// An API token for server (Authorization: Bearer): roles e.g. ["publish"], topics optional.
export function apiToken(server, roles, { topics, ttlSeconds = 3600 } = {}) {
  return signed("api", { sub: "test", roles, ...(topics ? { topics } : {}) }, { ttlSeconds, secret: secretOf(server) });
}

// The Authorization header of an API token for server.
export const bearer = (server, roles, opts) => ({ authorization: `Bearer ${apiToken(server, roles, opts)}` });
