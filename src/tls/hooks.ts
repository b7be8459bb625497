// The one seam for misbehaviour. A correct peer runs with no hooks; conformance cases (and the
// RFC 8448 replay, which must reproduce the trace's exact extension lists) pass hooks that rewrite
// a structure just before it is encoded, or change how bytes are cut into records and writes.
// The core calls each hook at exactly one place and never special-cases anything else.

import type { Extension } from "./extensions.ts";
import type { ClientHello, Handshake, ServerHello } from "./messages.ts";
import type { GroupName } from "./names.ts";

export interface Hooks {
  /** Client: rewrite each ClientHello (attempt 1, or 2 after a HelloRetryRequest). */
  clientHello?(hello: ClientHello, attempt: 1 | 2): ClientHello;
  /** Server: rewrite the ServerHello or HelloRetryRequest. */
  serverHello?(hello: ServerHello, isHrr: boolean): ServerHello;
  /** Server: rewrite the EncryptedExtensions list. */
  encryptedExtensions?(extensions: Extension[]): Extension[];
  /** Either side: replace the key_exchange bytes we put on the wire for `group`. */
  keyShare?(group: GroupName, share: Uint8Array): Uint8Array;
  /** Either side: rewrite any other outgoing handshake message (Certificate, Finished, …). */
  handshake?(message: Handshake): Handshake;
  /**
   * How `length` bytes of `contentType` content waiting to be sent become records, under the write
   * key named `key` ("handshake", "application", …; null in the clear). Default: as few records
   * as the 2^14 limit allows, unpadded. The pieces' sizes must add up to `length`.
   */
  records?(contentType: number, length: number, key: string | null): RecordPlan[];
  /** How one flight's bytes are cut into transport writes (default: one write). */
  writes?(bytes: Uint8Array): Uint8Array[];
}

/**
 * One outgoing record: the next `size` bytes of the content, sealed with `padding` zero bytes
 * after the inner content type (protected records only, RFC 9846 §5.4); or a record of another
 * kind put in between (`insert`), written as is under the same key.
 */
export type RecordPlan =
  | { size: number; padding?: number }
  | { insert: { contentType: number; content: Uint8Array } };

export const NO_HOOKS: Hooks = Object.freeze({});
