// The RFC 8448 example traces as data (see README.md here), kept in the repository so a fresh clone
// tests without anything beside it.

// deno-lint-ignore no-explicit-any
export type Rfc8448 = any;

export const RFC8448: Rfc8448 = JSON.parse(
  Deno.readTextFileSync(new URL("./rfc8448.json", import.meta.url)),
);
