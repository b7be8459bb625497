// The wire tap: a relay between the client and the server that reports what crossed in clear.
// Start it before the client, point the client at `tap.port`, and call `finish()` once both
// programs are done to get the WireObservation (plus anything it could not decode).
//
//   const tap = await openTap({ target: serverPort });
//   ... client connects to tap.port ...
//   const { observation, problems } = await tap.finish();

import { decodeConnections, type Decoded } from "./decode.ts";
import { Relay, type RelayOptions } from "./relay.ts";
import { freePort } from "../runtime/ports.ts";

export type { Shaper } from "./relay.ts";
export { splitClientFlight } from "./relay.ts";

export interface WireTap {
  /** Where the client must connect (on 127.0.0.1). */
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Closes the relay (ending any connection still open) and decodes everything it saw. */
  finish(): Promise<Decoded>;
}

export type TapOptions = Omit<RelayOptions, "port"> & { port?: number };

export async function openTap(opts: TapOptions): Promise<WireTap> {
  const relay = Relay.open({ ...opts, port: opts.port ?? await freePort() });
  let done: Promise<Decoded> | null = null;
  return {
    port: relay.port,
    connections: () => relay.connections.length,
    finish() {
      done ??= relay.close().then(() => decodeConnections(relay.connections));
      return done;
    },
  };
}
