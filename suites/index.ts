// Every suite, in the order the matrix shows them. A suite is a named list of cases.

import type { Case } from "../src/contract/case.ts";
import { auth } from "./auth.ts";
import { classic } from "./classic.ts";
import { conformance } from "./conformance.ts";
import { hybrid } from "./hybrid.ts";
import { negotiation } from "./negotiation.ts";
import { psk } from "./psk.ts";
import { pure } from "./pure.ts";

export const SUITES: Record<string, Case[]> = {
  classic,
  pure,
  hybrid,
  negotiation,
  psk,
  auth,
  conformance,
};

export const ALL_CASES: Case[] = Object.values(SUITES).flat();
