// PSK modes: external PSK with and without (EC)DHE/KEM, the RFC 9258 importer, resumption,
// 0-RTT and RFC 9973 certificates with an external PSK. All external cases use the example PSK
// (see common.ts) so the libraries' stock example programs can play.

import type { Case } from "../src/contract/case.ts";
import { GROUP_NAMES, type GroupName } from "../src/tls/names.ts";
import { DEFAULT_CERT, examplePsk } from "./common.ts";

const SUITE = "psk";

/** psk_dhe_ke with one group: the PSK authenticates, the group still gives forward secrecy. */
const dheKe = (group: GroupName): Case => ({
  id: `${SUITE}/external-psk_dhe_ke-${group}`,
  suite: SUITE,
  title: `External PSK with psk_dhe_ke over ${group}`,
  client: { groups: [group], psk: examplePsk("psk_dhe_ke") },
  server: { groups: [group], psk: examplePsk("psk_dhe_ke") },
  expect: { kind: "handshake", group, pskMode: "psk_dhe_ke", helloRetryRequest: false },
});

const certWithPsk = (group: GroupName): Case => ({
  id: `${SUITE}/cert-with-extern-psk-${group}`,
  suite: SUITE,
  title: `RFC 9973 certificate plus external PSK over ${group}`,
  client: {
    groups: [group],
    psk: examplePsk("psk_dhe_ke"),
    certWithPsk: "require",
  },
  server: {
    groups: [group],
    psk: examplePsk("psk_dhe_ke"),
    certWithPsk: "allow",
    certificate: DEFAULT_CERT,
  },
  expect: { kind: "handshake", group, pskMode: "psk_dhe_ke", certWithPsk: true },
});

export const psk: Case[] = [
  {
    id: `${SUITE}/external-psk_ke`,
    suite: SUITE,
    title: "External PSK with psk_ke: no key exchange group at all",
    client: { psk: examplePsk("psk_ke") },
    server: { psk: examplePsk("psk_ke") },
    expect: { kind: "handshake", group: null, pskMode: "psk_ke" },
  },
  // psk_dhe_ke over every group: the PSK question is whether each PQ share still flows with it.
  ...GROUP_NAMES.map(dheKe),
  {
    id: `${SUITE}/imported-X25519MLKEM768`,
    suite: SUITE,
    title: "RFC 9258 imported PSK with psk_dhe_ke over X25519MLKEM768",
    client: {
      groups: ["X25519MLKEM768"],
      psk: examplePsk("psk_dhe_ke", true),
    },
    server: { groups: ["X25519MLKEM768"], psk: examplePsk("psk_dhe_ke", true) },
    expect: { kind: "handshake", group: "X25519MLKEM768", pskMode: "psk_dhe_ke" },
  },
  {
    id: `${SUITE}/resumption-X25519MLKEM768`,
    suite: SUITE,
    title: "Ticket resumption (psk_dhe_ke) with X25519MLKEM768 on both connections",
    client: { groups: ["X25519MLKEM768"], resume: true },
    server: { groups: ["X25519MLKEM768"], resume: true, certificate: DEFAULT_CERT },
    expect: {
      kind: "handshake",
      group: "X25519MLKEM768",
      resumed: true,
      pskMode: "psk_dhe_ke",
    },
  },
  {
    id: `${SUITE}/0rtt-X25519MLKEM768`,
    suite: SUITE,
    title: "0-RTT data on a resumed X25519MLKEM768 connection",
    client: {
      groups: ["X25519MLKEM768"],
      resume: true,
      earlyData: "early hello",
    },
    server: {
      groups: ["X25519MLKEM768"],
      resume: true,
      earlyData: "",
      maxEarlyData: 16384,
      certificate: DEFAULT_CERT,
    },
    expect: { kind: "handshake", group: "X25519MLKEM768", resumed: true, earlyData: "accepted" },
  },
  certWithPsk("x25519"),
  certWithPsk("MLKEM768"),
  certWithPsk("X25519MLKEM768"),
];
