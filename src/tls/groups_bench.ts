// One full key exchange per group: client keygen, server validate+respond, client complete.
// `deno bench -A src/tls/groups_bench.ts`; the numbers go in reports, never into tests.

import { generateClientShare, respondToShare } from "./groups.ts";
import { GROUP_NAMES } from "./names.ts";

for (const group of GROUP_NAMES) {
  Deno.bench({ name: group, group: "key exchange" }, () => {
    const client = generateClientShare(group);
    const server = respondToShare(group, client.share);
    client.complete(server.share);
  });
}
