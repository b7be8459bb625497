// How responses leave the live server. A page is a pure function of the URL and the reports, so
// each answer is rendered once and kept until a report file changes; it is compressed once per
// encoding a browser asks for (brotli, else gzip); it carries a strong ETag, so a repeat visit is a
// 304 without a body; HEAD gets the headers GET would, Content-Length included. This wraps the
// app's fetch rather than sitting inside it: a kept answer goes out without routing or rendering,
// which is what keeps the tail latency of a busy page low. The cache is bounded by bytes; the least
// recently used entry goes first, and a body too big to be worth keeping is sent as it is.

import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Anything smaller is not worth compressing (the headers would outweigh the saving). */
const MIN_COMPRESS = 512;
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg\+xml)/;

type Encoding = "br" | "gzip" | "identity";
type Bytes = Uint8Array<ArrayBuffer>;
type Fetch = (req: Request) => Response | Promise<Response>;

/** One kept answer in one encoding: the body and every header it goes out with. */
interface Variant {
  body: Bytes;
  headers: [string, string][];
  /** For a matching If-None-Match: the same headers without the body's. */
  notModified: [string, string][];
  etag: string;
}

interface Entry {
  version: string;
  status: number;
  headers: [string, string][];
  identity: Bytes;
  hash: string;
  compressible: boolean;
  variants: Partial<Record<Encoding, Variant>>;
}

export interface DeliveryOptions {
  /** The reports' version: entries made under another one are stale. */
  version: () => Promise<string>;
  maxBytes?: number;
  maxEntryBytes?: number;
}

/** The encoding to send: brotli when accepted, else gzip, else none. */
export function chooseEncoding(accept: string | null | undefined): Encoding {
  const q = new Map<string, number>();
  for (const part of (accept ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const qv = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    q.set(name, qv ? Number(qv.slice(2)) : 1);
  }
  const ok = (e: string) => (q.get(e) ?? q.get("*") ?? 0) > 0;
  return ok("br") ? "br" : ok("gzip") ? "gzip" : "identity";
}

function compress(body: Bytes, encoding: Encoding): Bytes {
  if (encoding === "br") {
    return new Uint8Array(brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }));
  }
  if (encoding === "gzip") return new Uint8Array(gzipSync(body, { level: 9 }));
  return body;
}

async function hashOf(body: Bytes): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** If-None-Match holds this tag (or `*`); weak comparison, as RFC 9110 asks for it. */
function matches(ifNoneMatch: string | null, tag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v === tag;
  });
}

/** Headers that describe a body; a 304 leaves them out. */
const BODY_HEADERS = new Set(["content-type", "content-encoding", "content-length"]);

function variantOf(entry: Entry, encoding: Encoding): Variant {
  const body = encoding === "identity" ? entry.identity : compress(entry.identity, encoding);
  const etag = `"${entry.hash}${encoding === "identity" ? "" : `-${encoding}`}"`;
  const headers: [string, string][] = [...entry.headers];
  const has = (name: string) => headers.some(([k]) => k === name);
  // Unless the route knows better (a finished run's pages), a browser asks again each time, and
  // the ETag makes that a 304.
  if (!has("cache-control")) headers.push(["cache-control", "no-cache"]);
  if (entry.status === 200) headers.push(["etag", etag]);
  if (entry.compressible) headers.push(["vary", "Accept-Encoding"]);
  if (encoding !== "identity") headers.push(["content-encoding", encoding]);
  const notModified = headers.filter(([k]) => !BODY_HEADERS.has(k));
  headers.push(["content-length", String(body.byteLength)]);
  return { body, headers, notModified, etag };
}

export function withDelivery(
  fetch: Fetch,
  { version, maxBytes = 96 << 20, maxEntryBytes = 8 << 20 }: DeliveryOptions,
): (req: Request) => Promise<Response> {
  const cache = new Map<string, Entry>();
  const encodings = new Map<string, Encoding>();
  let bytes = 0;
  const size = (e: Entry) =>
    Object.values(e.variants).reduce(
      (n, v) => n + (v.body === e.identity ? 0 : v.body.byteLength),
      0,
    ) +
    e.identity.byteLength;
  const drop = (key: string) => {
    const e = cache.get(key);
    if (e) bytes -= size(e);
    cache.delete(key);
  };

  async function fill(req: Request, current: string): Promise<Entry> {
    const res = await fetch(req);
    const identity = new Uint8Array(await res.arrayBuffer());
    const type = res.headers.get("content-type") ?? "";
    return {
      version: current,
      status: res.status,
      headers: [...res.headers].filter(([k]) => k !== "content-length"),
      identity,
      hash: await hashOf(identity),
      compressible: COMPRESSIBLE.test(type) && identity.byteLength >= MIN_COMPRESS,
      variants: {},
    };
  }

  return async (req) => {
    const method = req.method;
    if (method !== "GET" && method !== "HEAD") return await fetch(req);
    const current = await version();
    const key = req.url;
    let entry = cache.get(key);
    if (entry && entry.version !== current) {
      drop(key);
      entry = undefined;
    }
    if (!entry) {
      // HEAD is answered from what GET would send.
      entry = await fill(method === "HEAD" ? new Request(req, { method: "GET" }) : req, current);
      // Only answers that stay the same are kept: pages and files, and their 404s.
      const keep = (entry.status === 200 || entry.status === 404) &&
        entry.identity.byteLength <= maxEntryBytes;
      if (keep) {
        cache.set(key, entry);
        bytes += entry.identity.byteLength;
      }
    } else {
      cache.delete(key); // re-insert: Map order is the recency order
      cache.set(key, entry);
    }

    let encoding: Encoding = "identity";
    if (entry.compressible) {
      const accept = req.headers.get("accept-encoding") ?? "";
      encoding = encodings.get(accept) ?? chooseEncoding(accept);
      if (encodings.size < 64) encodings.set(accept, encoding);
    }
    let variant = entry.variants[encoding];
    if (!variant) {
      variant = entry.variants[encoding] = variantOf(entry, encoding);
      if (cache.get(key) === entry && encoding !== "identity") bytes += variant.body.byteLength;
      while (bytes > maxBytes && cache.size > 0) drop(cache.keys().next().value!);
    }
    if (entry.status === 200 && matches(req.headers.get("if-none-match"), variant.etag)) {
      return new Response(null, { status: 304, headers: variant.notModified });
    }
    return new Response(method === "HEAD" ? null : variant.body, {
      status: entry.status,
      headers: variant.headers,
    });
  };
}
