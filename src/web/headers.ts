// Middleware every response passes through: refuse absurdly long URLs before any work, and set
// the security headers. The CSP allows nothing inline: styles and the one script are files.

import type { MiddlewareHandler } from "hono";

/** Longer than any link or form the pages make (the longest is a cell permalink with filters). */
export const MAX_URL_LENGTH = 2048;

export const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const guard: MiddlewareHandler = async (c, next) => {
  if (c.req.url.length > MAX_URL_LENGTH) {
    return c.text(`request URL longer than ${MAX_URL_LENGTH} characters\n`, 400);
  }
  await next();
  c.header("Content-Security-Policy", CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Frame-Options", "DENY");
};
