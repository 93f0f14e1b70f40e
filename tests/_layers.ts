/**
 * The library's layers, lowest first: each folder imports only the folders
 * before it (checked by `layers_test.ts`). Shared by the tests that walk
 * the library's files.
 */
export const LAYERS: readonly string[] = [
  "errors",
  "masking",
  "frames",
  "messages",
  "inspector",
  "protocol",
  "http",
  "handshake",
  "compression",
  "connection",
  "server",
  "transports",
  "broadcast",
  "pubsub",
];
