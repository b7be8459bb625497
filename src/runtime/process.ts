// One running peer program, wherever it runs (a process on this machine, a program the launcher
// started in a container, the reference peer running in-process): its output captured (bounded),
// a way to wait for a "listening" line, to wait for the end with a deadline, and to kill it.
// `Program` is the one implementation of that; each kind of start only feeds it.

/** What a finished (or killed) program left behind. */
export interface ProcessResult {
  /** Exit code, or null when it was killed or died of a signal. */
  code: number | null;
  /** The signal it died of (not one we sent), or null. */
  signal: number | null;
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

class Tail {
  text = "";
  private decoder = new TextDecoder();
  push(chunk: Uint8Array | string): void {
    this.text += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.text.length > OUTPUT_LIMIT) this.text = this.text.slice(-OUTPUT_LIMIT);
  }
}

/**
 * A program as the runner sees it. The starter feeds it output and, once, its end; `stop` is how
 * the starter kills it (for real: the program and whatever it started).
 */
export class Program implements PeerProcess {
  private readonly out = new Tail();
  private readonly err = new Tail();
  private readonly started = performance.now();
  private readonly watchers = new Set<() => void>();
  private ended: { code: number | null; signal: number | null } | null = null;
  private killed = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly stop: () => Promise<void>) {
    this.done = new Promise((r) => this.resolveDone = r);
  }

  /** Output from the program: stream 1 is stdout, 2 is stderr. */
  output(stream: 1 | 2, chunk: Uint8Array | string): void {
    (stream === 1 ? this.out : this.err).push(chunk);
    for (const w of this.watchers) w();
  }

  /** The program is gone; output that arrives later is dropped. Only the first call counts. */
  exit(code: number | null, signal: number | null = null): void {
    if (this.ended) return;
    this.ended = this.killed ? { code: null, signal: null } : { code, signal };
    this.resolveDone();
    for (const w of this.watchers) w();
  }

  get hasEnded(): boolean {
    return this.ended !== null;
  }

  private lastLine(): string {
    return (this.err.text + "\n" + this.out.text).split("\n").filter((l) => l.trim()).at(-1) ?? "";
  }

  ready(pattern: RegExp, timeoutMs: number): Promise<void> {
    const seen = () => pattern.test(this.out.text) || pattern.test(this.err.text);
    if (seen()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (seen()) {
          cleanup();
          resolve();
        } else if (this.ended) {
          cleanup();
          reject(
            new Error(
              `exited (code ${this.ended.code}) before it was ready: ${
                this.lastLine() || "no output"
              }`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`not ready after ${timeoutMs} ms (no line matching ${pattern})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
    });
  }

  async wait(timeoutMs: number): Promise<ProcessResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), timeoutMs));
    const timedOut = (await Promise.race([this.done, late])) === "late";
    clearTimeout(timer);
    if (timedOut) await this.kill();
    return {
      code: this.ended?.code ?? null,
      signal: this.ended?.signal ?? null,
      stdout: this.out.text,
      stderr: this.err.text,
      timedOut,
      durationMs: Math.round(performance.now() - this.started),
    };
  }

  async kill(): Promise<void> {
    if (this.ended) return;
    this.killed = true;
    await this.stop().catch(() => {});
    // A starter whose kill did not produce an end (the launcher died with it) ends it here.
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 5_000))]);
    this.exit(null);
  }
}

export interface LocalCommand {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** What else killing it takes: a program `docker exec` started lives on in its container. */
  killRemote?: () => Promise<void>;
}

// A grandchild that inherited the pipes can keep them open after the program is gone.
const DRAIN_GRACE_MS = 2_000;

/** Starts a program on this machine and captures its output. */
export function startLocal(cmd: LocalCommand): Program {
  const [name, ...args] = cmd.argv;
  let child: Deno.ChildProcess;
  const program = new Program(async () => {
    await cmd.killRemote?.().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  });
  try {
    child = new Deno.Command(name, {
      args,
      env: cmd.env,
      cwd: cmd.cwd,
      stdin: cmd.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    program.output(2, `${name}: ${(e as Error).message}\n`);
    program.exit(127);
    return program;
  }
  const pump = (stream: ReadableStream<Uint8Array>, n: 1 | 2) =>
    stream.pipeTo(new WritableStream({ write: (chunk) => program.output(n, chunk) })).catch(
      () => {},
    );
  const drained = Promise.all([pump(child.stdout, 1), pump(child.stderr, 2)]);
  if (cmd.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    // A program that exits without reading its input makes this write fail; that is its business.
    writer.write(new TextEncoder().encode(cmd.stdin)).then(() => writer.close()).catch(() => {});
  }
  child.status.then(async (s) => {
    await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_GRACE_MS))]);
    program.exit(s.signal ? null : s.code, s.signal ? signalNumber(s.signal) : null);
  });
  return program;
}

function signalNumber(name: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGILL: 4,
    SIGTRAP: 5,
    SIGABRT: 6,
    SIGBUS: 7,
    SIGFPE: 8,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGALRM: 14,
    SIGTERM: 15,
  };
  return numbers[name] ?? 0;
}
