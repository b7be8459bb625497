// The live terminal line and the log lines while a run goes, image build ticks included.

import assert from "node:assert/strict";
import { consoleProgress, parseTick } from "./progress.ts";

/** What consoleProgress writes to clear the live line. */
const CLEAR = "\r\x1b[2K";

/** A progress writer whose output is kept: the text, and what a terminal would show now. */
function recorder(tty: boolean) {
  let out = "";
  const progress = consoleProgress(tty, (s) => out += s);
  /** What is on screen: lines ended by \n, then the live line after its last clear. */
  const screen = () => {
    const lines: string[] = [];
    let current = "";
    out.split(CLEAR).forEach((segment, i) => {
      if (i > 0) current = ""; // the live line was cleared
      const parts = segment.split("\n");
      parts.slice(0, -1).forEach((p, j) => {
        lines.push(j === 0 ? current + p : p);
        current = "";
      });
      current += parts.at(-1);
    });
    return { lines, live: current };
  };
  return { progress, screen, out: () => out };
}

const tick = (s: number, step = "step 3/12 : RUN cargo build --release") =>
  `image rustls: ${step} (${s} s)`;

Deno.test("parseTick: a message ending in (N s) is a tick of its subject", () => {
  assert.deepEqual(parseTick(tick(45)), {
    subject: "image rustls",
    step: "step 3/12 : RUN cargo build --release",
  });
  assert.equal(parseTick("image rustls: pqinterop/rustls:1 built in 120 s"), null);
  assert.equal(parseTick("container engine: checking"), null);
});

Deno.test("on a terminal a build's ticks replace the live line; its end is a line of its own", () => {
  const { progress, screen } = recorder(true);
  progress.planned(10, 8);
  progress.line("container engine: checking");
  for (const s of [5, 10, 15]) progress.line(tick(s));
  assert.equal(screen().live, tick(15), "the newest tick is the live line");
  assert.deepEqual(screen().lines, [
    "10 cells: 8 to run, 2 unsupported",
    "container engine: checking",
  ]);
  progress.line("image rustls: pqinterop/rustls:1 built in 120 s");
  assert.equal(screen().lines.at(-1), "image rustls: pqinterop/rustls:1 built in 120 s");
  assert.doesNotMatch(screen().live, /step 3\/12/, "a finished build leaves the live line");
  progress.end();
  assert.equal(screen().live, "");
});

Deno.test("the live line never overflows the terminal", () => {
  const { progress, screen } = recorder(true);
  progress.planned(3, 3);
  progress.line(tick(5, `step 1/9 : RUN ${"x".repeat(300)}`));
  assert.ok([...screen().live].length <= 100, `${[...screen().live].length} columns`);
  assert.match(screen().live, /…$/);
});

Deno.test("in a log, a tick is written when its step changes, not every five seconds", () => {
  const { progress, out } = recorder(false);
  for (let s = 5; s <= 25; s += 5) progress.line(tick(s));
  progress.line(tick(30, "step 4/12 : COPY . ."));
  progress.line(tick(35, "step 4/12 : COPY . ."));
  const lines = out().trim().split("\n");
  assert.deepEqual(lines, [tick(5), tick(30, "step 4/12 : COPY . .")]);
});
