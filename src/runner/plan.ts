// The plan: which cells a run has. A cell is one case with one client implementation and one
// server implementation. Cells that an implementation cannot express are planned too, already
// marked unsupported with the reason, so the matrix shows every gap and why it is there. A plan
// has a hash (the same cells told the same things give the same hash on every machine), and can
// be cut into shards for several machines: cell k goes to shard (k mod N) + 1.

import type { Case } from "../contract/case.ts";
import { whyUnsupported } from "../contract/capabilities.ts";
import type { Implementation } from "../peers/implementation.ts";
import { cellId, type PlanInfo } from "../report/schema.ts";
import type { Role } from "../tls/names.ts";

export interface Cell {
  id: string;
  case: Case;
  client: Implementation;
  server: Implementation;
  /** Why this cell cannot run, or null when it can. */
  unsupported: string | null;
  /** The client is a browser: the exchange is one HTTP request, and the server must answer it. */
  http: boolean;
}

/** What the command line asked for; every list is optional and ANDed together. */
export interface Selection {
  /** Implementations by id; "all" means every one, other versions included. */
  impls?: string[];
  clients?: string[];
  servers?: string[];
  suites?: string[];
  cases?: string[];
}

/** Bad input from the user: the message is one line that lists the valid choices. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Checks every name against the valid ones, so a typo never silently selects nothing. */
function checkNames(what: string, given: string[] | undefined, valid: string[]): void {
  for (const name of given ?? []) {
    if (!valid.includes(name)) {
      throw new UsageError(`unknown ${what} "${name}" (valid: ${valid.join(", ")})`);
    }
  }
}

/** Why `impl` cannot play `role` in this case, or null. */
export function refusal(
  impl: Implementation,
  role: Role,
  c: Case,
  http = false,
): string | null {
  const config = role === "client" ? c.client : c.server;
  // A client verifies the server's certificate; a server verifies a client's when it asks for one.
  const peer = role === "client"
    ? c.server.certificate
    : c.server.clientAuth && c.client.clientAuth
    ? c.client.certificate
    : undefined;
  const why = whyUnsupported(impl.capabilities, role, config, http, peer) ??
    impl.refuse?.(role, config) ?? null;
  return why ? `${impl.id} as ${role}: ${why}` : null;
}

export function planCells(
  suites: Record<string, Case[]>,
  impls: Implementation[],
  sel: Selection = {},
): Cell[] {
  const implIds = impls.map((i) => i.id as string);
  const everyImpl = sel.impls?.includes("all");
  checkNames("implementation", sel.impls?.filter((i) => i !== "all"), implIds);
  checkNames("client implementation", sel.clients, implIds);
  checkNames("server implementation", sel.servers, implIds);
  checkNames("suite", sel.suites, Object.keys(suites));
  const allCases = Object.values(suites).flat();
  checkNames("case", sel.cases, allCases.map((c) => c.id));

  const cases = allCases.filter((c) =>
    (!sel.suites || sel.suites.includes(c.suite)) && (!sel.cases || sel.cases.includes(c.id))
  );
  // Without a choice, each library runs in its default version; naming one runs that one.
  const named = (i: Implementation, list?: string[]) => list?.includes(i.id) ?? false;
  const pick = (roleList?: string[]) =>
    impls.filter((i) =>
      (everyImpl || (sel.impls ? named(i, sel.impls) : i.inDefaultRun || named(i, roleList))) &&
      (!roleList || roleList.includes(i.id))
    );
  const clients = pick(sel.clients);
  const servers = pick(sel.servers);

  const cells: Cell[] = [];
  for (const c of cases) {
    for (const client of clients) {
      if (c.only?.client && !c.only.client.includes(client.id)) continue;
      for (const server of servers) {
        if (c.only?.server && !c.only.server.includes(server.id)) continue;
        const http = client.httpOnly === true;
        cells.push({
          id: cellId({ case: c.id, client: client.id, server: server.id }),
          case: c,
          client,
          server,
          http,
          unsupported: refusal(client, "client", c, http) ?? refusal(server, "server", c, http),
        });
      }
    }
  }
  return cells;
}

/** The implementations the runnable cells need, each once (one sandbox each). */
export function implementationsUsed(cells: Cell[]): Implementation[] {
  const used = new Map<string, Implementation>();
  for (const cell of cells) {
    if (cell.unsupported) continue;
    used.set(cell.client.id, cell.client);
    used.set(cell.server.id, cell.server);
  }
  return [...used.values()];
}

// ---------------------------------------------------------------- identity and shards

/** The plan's hash: every cell's id, what each side is told, and whether it runs. */
export async function planHash(cells: Cell[]): Promise<string> {
  const text = cells.map((c) =>
    JSON.stringify([c.id, c.case.client, c.case.server, c.case.expect, c.unsupported])
  ).join("\n");
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface Shard {
  index: number;
  count: number;
}

/** `--shard I/N` → {index: I, count: N}, 1 ≤ I ≤ N. */
export function parseShard(text: string): Shard {
  const m = text.match(/^(\d+)\/(\d+)$/);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(
      `--shard must be I/N with 1 ≤ I ≤ N (e.g. --shard 2/3), got "${text}"`,
    );
  }
  return { index, count };
}

/** The cells of one shard: cell k of the plan (from 0) goes to shard (k mod N) + 1. */
export function shardOf(cells: Cell[], shard: Shard): Cell[] {
  return cells.filter((_, k) => k % shard.count === shard.index - 1);
}

export async function planInfo(all: Cell[], shard?: Shard): Promise<PlanInfo> {
  return { hash: await planHash(all), cells: all.length, ...(shard ? { shard } : {}) };
}
