// tokens.mjs — signs Cohort tokens for tests: base64url(JSON claims) "." base64url(HMAC-SHA256).
// The same format as include/cohort/token.hpp; the servers under test run with --secret SECRET.
import crypto from "node:crypto";

export const SECRET = "conformance-secret";

export function token(claims, secret = SECRET) {
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const mac = crypto.createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${mac}`;
}
