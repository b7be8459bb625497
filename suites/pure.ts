// Pure ML-KEM groups (draft-ietf-tls-mlkem): the KEM alone carries the key exchange.

import type { Case } from "../src/contract/case.ts";
import { PURE_MLKEM_GROUPS } from "../src/tls/names.ts";
import { singleGroupCase } from "./common.ts";

export const pure: Case[] = PURE_MLKEM_GROUPS.map((group) =>
  singleGroupCase("pure", group, `Pure ML-KEM key exchange with ${group} only`)
);
