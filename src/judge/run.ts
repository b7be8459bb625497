// What the judge is given about one attempt at a cell: what each program did and said, and what
// the wire tap saw between them. The runner fills this in; nothing else reaches the judge.

import type { PeerReport } from "../contract/report.ts";
import type { WireObservation } from "../wire/observation.ts";

export interface SideRun {
  impl: string;
  /** What the program reported (parsed from its output). */
  report: PeerReport;
  code: number | null;
  /** The signal it died of, when it was not killed by us. */
  signal: number | null;
  timedOut: boolean;
  /** Its last output, both streams (bounded). */
  output: string;
  /** It speaks the peer contract, whose exit codes 2 and 127 mean usage error and unsupported. */
  contract: boolean;
}

export interface CellRun {
  client: SideRun;
  server: SideRun;
  wire: WireObservation | null;
  /** What the tap could not decode (malformed bytes from a peer), one sentence each. */
  wireProblems: string[];
  /** Set when the client never ran because the server did not start listening: why. */
  serverNeverReady: string | null;
  timeoutMs: number;
  /** The harness failed under the cell (a container or its launcher died): why. */
  harnessBroke: string | null;
}
