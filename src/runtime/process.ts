// One running peer program, wherever it runs: its output captured (bounded), a way to wait for a
// "listening" line, to wait for the end with a deadline, and to kill it for good.

/** What a finished (or killed) program left behind. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** It did not finish within the deadline and was killed. */
  timedOut: boolean;
  durationMs: number;
}

export interface PeerProcess {
  /** Resolves when stdout or stderr matches; rejects on exit or after timeoutMs, saying which. */
  ready(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** The result once it exits; after timeoutMs it is killed and reported as timedOut. */
  wait(timeoutMs: number): Promise<ProcessResult>;
  /** Kills it (and everything it started); safe to call twice or after it exited. */
  kill(): Promise<void>;
}

/** Each stream keeps only its last 64 KiB: a chatty or runaway program cannot exhaust memory. */
export const OUTPUT_LIMIT = 64 * 1024;

export interface LocalCommand {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** Extra work to kill what the local process started elsewhere (inside a container). */
  killRemote?: () => Promise<void>;
}

// A grandchild that inherited the pipes can keep them open after the program is gone.
const DRAIN_GRACE_MS = 2_000;

async function settled(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise((r) => timer = setTimeout(r, ms))]);
  clearTimeout(timer);
}

class Tail {
  text = "";
  private decoder = new TextDecoder();
  push(bytes: Uint8Array): void {
    this.text += this.decoder.decode(bytes, { stream: true });
    if (this.text.length > OUTPUT_LIMIT) this.text = this.text.slice(-OUTPUT_LIMIT);
  }
}

/** Starts a local program (a peer, or `docker exec` of one) and captures its output. */
export function startProcess(cmd: LocalCommand): PeerProcess {
  const started = Date.now();
  const [program, ...args] = cmd.argv;
  const child = new Deno.Command(program, {
    args,
    env: cmd.env,
    cwd: cmd.cwd,
    stdin: cmd.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const out = new Tail();
  const err = new Tail();
  const watchers = new Set<{ pattern: RegExp; hit: () => void }>();
  const onChunk = (tail: Tail) => (chunk: Uint8Array) => {
    tail.push(chunk);
    for (const w of watchers) if (w.pattern.test(tail.text)) w.hit();
  };
  const drained = Promise.all([
    child.stdout.pipeTo(new WritableStream({ write: onChunk(out) })).catch(() => {}),
    child.stderr.pipeTo(new WritableStream({ write: onChunk(err) })).catch(() => {}),
  ]);
  if (cmd.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    // A program that exits without reading its input makes this write fail; that is its business.
    writer.write(new TextEncoder().encode(cmd.stdin)).then(() => writer.close()).catch(() => {});
  }

  let exitCode: number | null = null;
  let killed = false;
  let gone = false;
  const exited = child.status.then((s) => {
    gone = true;
    exitCode = killed ? null : s.code;
  });

  const lastLine = () =>
    (err.text + "\n" + out.text).split("\n").filter((l) => l.trim()).at(-1) ?? "";

  const kill = async () => {
    // Once the local process ended, so did the program: `docker exec` returns when it exits.
    if (killed || gone) return;
    killed = true;
    await cmd.killRemote?.().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await exited;
  };

  return {
    ready(pattern, timeoutMs) {
      if (pattern.test(out.text) || pattern.test(err.text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w = {
          pattern,
          hit: () => {
            cleanup();
            resolve();
          },
        };
        watchers.add(w);
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`not ready after ${timeoutMs} ms (no line matching ${pattern})`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          watchers.delete(w);
        };
        exited.then(() => settled(drained, DRAIN_GRACE_MS)).then(() => {
          if (!watchers.has(w)) return;
          cleanup();
          if (pattern.test(out.text) || pattern.test(err.text)) return resolve();
          reject(
            new Error(
              `exited (code ${exitCode}) before it was ready: ${lastLine() || "no output"}`,
            ),
          );
        });
      });
    },

    async wait(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<"late">((r) => timer = setTimeout(() => r("late"), timeoutMs));
      const timedOut = (await Promise.race([exited, deadline])) === "late";
      clearTimeout(timer);
      if (timedOut) await kill();
      await settled(drained, DRAIN_GRACE_MS);
      return {
        code: exitCode,
        stdout: out.text,
        stderr: err.text,
        timedOut,
        durationMs: Date.now() - started,
      };
    },

    kill,
  };
}
