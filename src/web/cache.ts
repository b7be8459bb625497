// Rendered responses, kept until any report file changes: a page is a pure function of the URL
// and the reports, and rendering a full matrix costs milliseconds that a busy page cannot spend
// on every request. Bounded; the oldest entry goes first.

import type { MiddlewareHandler } from "hono";
import type { ReportStore } from "./store.ts";

interface Cached {
  version: string;
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

export function responseCache(store: ReportStore, max = 256): MiddlewareHandler {
  const cache = new Map<string, Cached>();
  return async (c, next) => {
    if (c.req.method !== "GET") return await next();
    const version = await store.version();
    const key = c.req.url;
    const hit = cache.get(key);
    if (hit?.version === version) {
      return new Response(hit.body.slice(), { status: hit.status, headers: hit.headers });
    }
    await next();
    if (c.res.status !== 200) return;
    const body = new Uint8Array(await c.res.clone().arrayBuffer());
    cache.delete(key);
    cache.set(key, { version, status: c.res.status, headers: [...c.res.headers], body });
    if (cache.size > max) cache.delete(cache.keys().next().value!);
  };
}
