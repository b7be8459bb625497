// The registry: every implementation the matrix knows, in the order rows and columns appear.
// An implementation is data plus three small functions (src/peers/types.ts); adding one is a
// new adapter file and one line here.

import type { Implementation } from "./types.ts";
import { boringssl } from "./boringssl.ts";
import { openssl } from "./openssl.ts";
import { rustls } from "./rustls.ts";
import { ts } from "./ts.ts";
import { wolfssl } from "./wolfssl.ts";

export const IMPLEMENTATIONS: Implementation[] = [ts, openssl, boringssl, rustls, wolfssl];

export function implementation(id: string): Implementation | undefined {
  return IMPLEMENTATIONS.find((i) => i.id === id);
}
