// The fuzz harness: run one input against a target (src/testing/fuzz_world.ts), say how it
// ended, shrink an input that ended badly, and keep it in the corpus.
//
// An input is the list of byte chunks written to the target, in order; after the last one the
// stream ends. Every input must end in an alert (sent or received), a clean close, or a finished
// exchange, within a bounded time. Anything else is a finding: an exception that is not a
// TlsAlert (a decoder or state machine bug), an internal_error we blamed ourselves for although
// the peer sent the bytes, or a target still running at the deadline.
//
// Inputs come from two places (src/testing/fuzz_mutators.ts): byte and record mutations of
// recorded conversations, replayed through a scripted transport, and live conversations with a
// driver peer whose hooks mutate structures before they are encoded (and encrypted). A live
// conversation records what the driver wrote, so it replays as a scripted input.

import { TlsAlert } from "../tls/alert.ts";
import { TlsClient } from "../tls/client.ts";
import { toHex } from "../tls/codec.ts";
import type { ClientConfig, ServerConfig } from "../tls/config.ts";
import { PeerClosed, takeQueued, type Transport } from "../tls/connection.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import { TlsServer } from "../tls/server.ts";
import type { Target } from "./fuzz_world.ts";

/** How long a target may take, after its input ended, before it counts as hung. */
export const DEADLINE_MS = 10_000;

export type OutcomeKind = "alert" | "closed" | "ok" | "exception" | "internal" | "hang";

export interface Outcome {
  kind: OutcomeKind;
  /** The alert that ended it (sent or received), if any. */
  alert: string | null;
  /** For findings: the error, one line. */
  detail: string;
}

export const isFinding = (o: Outcome): boolean =>
  o.kind === "exception" || o.kind === "internal" || o.kind === "hang";

/** The same finding, whatever the bytes: its kind and its message without numbers. */
export const signature = (o: Outcome): string =>
  `${o.kind}:${o.detail.replace(/\d+/g, "N").replace(/0x[0-9a-f]+/gi, "X").slice(0, 120)}`;

const encoder = new TextEncoder();

// ---------------------------------------------------------------- transports

/** Reads `chunks` in order, then the end of the stream; every write is accepted and dropped. */
export function scripted(chunks: Uint8Array[]): Transport {
  const queue = chunks.map((c) => c.slice());
  return {
    read(p) {
      const chunk = queue[0];
      if (!chunk) return Promise.resolve(null);
      const n = Math.min(p.length, chunk.length);
      p.set(chunk.subarray(0, n));
      if (n === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(n);
      return Promise.resolve(n);
    },
    write: (p) => Promise.resolve(p.length),
    close() {},
  };
}

/**
 * A driver and a target joined in memory. The driver's writes are recorded as the chunks of the
 * input. When both sides wait to read with nothing in flight, nothing more can happen: the
 * driver's end is closed, as it would be by a peer that gave up, and the target sees the end of
 * its input exactly as a scripted replay would show it. The target's writes never fail.
 */
export function livePipe() {
  const recorded: Uint8Array[] = [];
  const box = () => ({ chunks: [] as Uint8Array[], wake: null as (() => void) | null });
  const toTarget = box();
  const toDriver = box();
  const state = { driverClosed: false, targetClosed: false, waiting: 0 };
  const wakeAll = () => {
    for (const b of [toTarget, toDriver]) {
      b.wake?.();
      b.wake = null;
    }
  };
  const closeDriver = () => {
    state.driverClosed = true;
    wakeAll();
  };
  const reader =
    (inbox: ReturnType<typeof box>, ended: () => boolean) =>
    async (p: Uint8Array): Promise<number | null> => {
      while (inbox.chunks.length === 0) {
        if (ended()) return null;
        state.waiting++;
        // Both sides waiting on an empty pipe: a deadlock the driver breaks by hanging up.
        if (state.waiting === 2 && toTarget.chunks.length === 0 && toDriver.chunks.length === 0) {
          state.waiting--;
          closeDriver();
          continue;
        }
        await new Promise<void>((resolve) => (inbox.wake = resolve));
        state.waiting--;
      }
      return takeQueued(inbox.chunks, p);
    };
  const driver: Transport = {
    read: reader(toDriver, () => state.targetClosed || state.driverClosed),
    write(p) {
      if (state.driverClosed) return Promise.reject(new Error("pipe closed"));
      recorded.push(p.slice());
      toTarget.chunks.push(p.slice());
      toTarget.wake?.();
      toTarget.wake = null;
      return Promise.resolve(p.length);
    },
    close: closeDriver,
  };
  const target: Transport = {
    read: reader(toTarget, () => state.driverClosed),
    write(p) {
      if (!state.driverClosed && !state.targetClosed) {
        toDriver.chunks.push(p.slice());
        toDriver.wake?.();
        toDriver.wake = null;
      }
      return Promise.resolve(p.length);
    },
    close() {
      state.targetClosed = true;
      wakeAll();
    },
  };
  return { driver, target, recorded, closeDriver };
}

// ---------------------------------------------------------------- running the target

export function endpointFor(target: Target, t: Transport, hooks?: object): TlsEndpoint {
  const config = { ...target.config(), ...(hooks ? { hooks } : {}) };
  return target.role === "server"
    ? new TlsServer(t, config as ServerConfig)
    : new TlsClient(t, config as ClientConfig);
}

/**
 * What a target does with a connection: the handshake, then (client) one line written, then
 * reading until the end, a server echoing what it reads. Resolves with how it ended.
 */
async function exercise(ep: TlsEndpoint): Promise<Outcome> {
  try {
    await ep.handshake();
    if (ep.role === "client") await ep.write(encoder.encode("ping\n"));
    for (let i = 0; i < 16; i++) {
      const data = await ep.read();
      if (data === null) break;
      if (ep.role === "server") await ep.write(data);
    }
    await ep.close();
    const alert = ep.summary().alert;
    return { kind: alert ? "alert" : "ok", alert, detail: "" };
  } catch (e) {
    return classify(e, ep);
  }
}

function classify(e: unknown, ep: TlsEndpoint): Outcome {
  const alert = ep.summary().alert;
  // A close_notify during the handshake is the peer hanging up in order.
  if (e instanceof PeerClosed || (e instanceof TlsAlert && e.alert === "close_notify")) {
    return { kind: "closed", alert, detail: "" };
  }
  if (e instanceof TlsAlert) {
    // We may only blame ourselves when it is our fault; the peer's bytes never are.
    if (e.alert === "internal_error" && !e.received) {
      return { kind: "internal", alert, detail: e.message };
    }
    return { kind: "alert", alert, detail: "" };
  }
  const err = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const where = e instanceof Error ? (e.stack ?? "").split("\n").slice(1, 3).join(" ") : "";
  return { kind: "exception", alert, detail: `${err} ${where}`.trim() };
}

/** `run` with a deadline: a target still going at the end is hung, and is cut off. */
async function bounded(ep: TlsEndpoint, run: Promise<Outcome>, ms: number): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      ep.conn.abort();
      resolve({ kind: "hang", alert: null, detail: `still running ${ms} ms after its input` });
    }, ms);
  });
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One scripted input against a fresh target. */
export function runScripted(target: Target, chunks: Uint8Array[], ms = DEADLINE_MS) {
  const ep = endpointFor(target, scripted(chunks));
  return bounded(ep, exercise(ep), ms);
}

/**
 * A live conversation: `driver` (built on the pipe's driver end) against a fresh target. The
 * driver's end closes when its own run ends; the target then has the deadline to finish.
 */
export async function runLive(
  target: Target,
  makeDriver: (t: Transport) => TlsEndpoint,
  ms = DEADLINE_MS,
): Promise<{ outcome: Outcome; chunks: Uint8Array[] }> {
  const pipe = livePipe();
  const ep = endpointFor(target, pipe.target);
  const targetRun = exercise(ep);
  const driver = makeDriver(pipe.driver);
  await drive(driver).catch(() => {});
  pipe.closeDriver();
  const outcome = await bounded(ep, targetRun, ms);
  return { outcome, chunks: pipe.recorded };
}

/** The driver's side of the conversation: the mirror of `exercise`. */
async function drive(ep: TlsEndpoint): Promise<void> {
  await ep.handshake();
  if (ep.role === "client") {
    await ep.write(encoder.encode("ping\n"));
    await ep.read();
  } else {
    const data = await ep.read();
    if (data) await ep.write(data);
  }
  await ep.close();
}

// ---------------------------------------------------------------- shrinking

/**
 * A smaller input with the same finding: first one chunk instead of many, then runs of bytes
 * removed, halving the run length down to single bytes, within `budget` replays.
 */
export async function minimize(
  target: Target,
  chunks: Uint8Array[],
  found: Outcome,
  budget = 1500,
): Promise<Uint8Array[]> {
  const want = signature(found);
  // A hang costs a whole deadline per try: a few tries only, with a shorter one.
  const ms = found.kind === "hang" ? DEADLINE_MS : 2_000;
  let tries = found.kind === "hang" ? 8 : budget;
  const same = async (c: Uint8Array[]) => {
    tries--;
    return signature(await runScripted(target, c, ms)) === want;
  };
  let best = chunks;
  const flat = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    flat.set(c, at);
    at += c.length;
  }
  if (chunks.length > 1 && await same([flat])) best = [flat];
  if (best.length !== 1) return best;
  let bytes = best[0];
  for (let run = bytes.length >> 1; run >= 1 && tries > 0; run >>= 1) {
    for (let i = 0; i + run <= bytes.length && tries > 0;) {
      const shorter = new Uint8Array(bytes.length - run);
      shorter.set(bytes.subarray(0, i));
      shorter.set(bytes.subarray(i + run), i);
      if (await same([shorter])) bytes = shorter;
      else i += run;
    }
  }
  return [bytes];
}

// ---------------------------------------------------------------- the corpus

export interface CorpusEntry {
  /** A target's name (fuzz_world.ts TARGETS). */
  target: string;
  /** What it found, and what was fixed. */
  note: string;
  chunks: string[];
  /** How the target must end now (after the fix). */
  expect: { kind: OutcomeKind; alert: string | null };
}

export const CORPUS_DIR = new URL("../tls/testdata/fuzz-corpus/", import.meta.url).pathname;

export async function readCorpus(dir = CORPUS_DIR): Promise<[string, CorpusEntry][]> {
  const out: [string, CorpusEntry][] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      out.push([e.name, JSON.parse(await Deno.readTextFile(`${dir}/${e.name}`))]);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

/** Writes a minimised finding as `<target>-<hash of its signature>.json`; returns the path. */
export async function saveFinding(
  dir: string,
  target: Target,
  chunks: Uint8Array[],
  found: Outcome,
): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(signature(found))),
  );
  const path = `${dir}/${target.name}-${toHex(digest.subarray(0, 6))}.json`;
  const entry: CorpusEntry = {
    target: target.name,
    note: `found: ${found.kind}: ${found.detail}`.slice(0, 400),
    chunks: chunks.map(toHex),
    expect: { kind: found.kind, alert: found.alert },
  };
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(entry, null, 1) + "\n");
  return path;
}
