// The one error type of the reference peer: an alert to send (or one received), with a sentence
// that says what the peer did wrong. Every check in src/tls throws this, next to the bytes it checks.

import { type AlertName, ALERTS, nameOf } from "./names.ts";

export class TlsAlert extends Error {
  constructor(
    readonly alert: AlertName,
    /** What the peer did wrong (or what we could not do), without the alert's name. */
    readonly reason: string,
    /** true when the peer sent this alert to us; false when we send it. */
    readonly received = false,
  ) {
    super(`${received ? "received" : "sending"} ${alert}: ${reason}`);
    this.name = "TlsAlert";
  }

  static fromWire(code: number): TlsAlert {
    const name = nameOf(ALERTS, code) as AlertName;
    return new TlsAlert(name, `peer sent alert ${name} (${code})`, true);
  }
}

export const alertCode = (name: AlertName): number => ALERTS[name];
