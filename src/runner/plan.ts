// The plan: which cells a run has. A cell is one case with one client implementation and one
// server implementation. Cells that an implementation cannot express are planned too, already
// marked unsupported with the reason, so the matrix shows every gap and why it is there.

import type { Case } from "./case.ts";
import type { Implementation, Role } from "../peers/types.ts";
import { whyUnsupported } from "../peers/capabilities.ts";
import { cellId } from "../report/schema.ts";

export interface Cell {
  id: string;
  case: Case;
  client: Implementation;
  server: Implementation;
  /** Why this cell cannot run, or null when it can. */
  unsupported: string | null;
}

/** What the command line asked for; every list is optional and ANDed together. */
export interface Selection {
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
export function refusal(impl: Implementation, role: Role, c: Case): string | null {
  const config = role === "client" ? c.client : c.server;
  const why = whyUnsupported(impl.capabilities, role, config) ?? impl.refuse?.(role, config) ??
    null;
  return why ? `${impl.id} as ${role}: ${why}` : null;
}

export function planCells(
  suites: Record<string, Case[]>,
  impls: Implementation[],
  sel: Selection = {},
): Cell[] {
  const implIds = impls.map((i) => i.id as string);
  checkNames("implementation", sel.impls, implIds);
  checkNames("client implementation", sel.clients, implIds);
  checkNames("server implementation", sel.servers, implIds);
  checkNames("suite", sel.suites, Object.keys(suites));
  const allCases = Object.values(suites).flat();
  checkNames("case", sel.cases, allCases.map((c) => c.id));

  const cases = allCases.filter((c) =>
    (!sel.suites || sel.suites.includes(c.suite)) && (!sel.cases || sel.cases.includes(c.id))
  );
  const pick = (roleList?: string[]) =>
    impls.filter((i) =>
      (!sel.impls || sel.impls.includes(i.id)) && (!roleList || roleList.includes(i.id))
    );
  const clients = pick(sel.clients);
  const servers = pick(sel.servers);

  const cells: Cell[] = [];
  for (const c of cases) {
    for (const client of clients) {
      if (c.only?.client && !c.only.client.includes(client.id)) continue;
      for (const server of servers) {
        if (c.only?.server && !c.only.server.includes(server.id)) continue;
        cells.push({
          id: cellId({ case: c.id, client: client.id, server: server.id }),
          case: c,
          client,
          server,
          unsupported: refusal(client, "client", c) ?? refusal(server, "server", c),
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
