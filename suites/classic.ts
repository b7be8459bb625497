// Classic (EC)DHE baseline: if these fail, nothing post-quantum in the same pair means much.

import type { Case } from "../src/contract/case.ts";
import { CLASSIC_GROUPS } from "../src/tls/names.ts";
import { singleGroupCase } from "./common.ts";

export const classic: Case[] = CLASSIC_GROUPS.map((group) =>
  singleGroupCase("classic", group, `Classic key exchange with ${group} only`)
);
