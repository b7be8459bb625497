// Hybrid ECDHE + ML-KEM groups (RFC 10024). Each one has its own share order, which is exactly
// what goes wrong between implementations, so each group is its own case.

import type { Case } from "../src/contract/case.ts";
import { HYBRID_GROUPS } from "../src/tls/names.ts";
import { singleGroupCase } from "./common.ts";

export const hybrid: Case[] = HYBRID_GROUPS.map((group) =>
  singleGroupCase("hybrid", group, `Hybrid key exchange with ${group} only`)
);
