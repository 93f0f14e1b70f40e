/**
 * Runs the portable cases, then the Node-only ones, on Node or Bun against
 * `node.ts`. Certificates
 * come from the environment (`EDGEWS_CA`, `EDGEWS_CERT`, `EDGEWS_KEY`).
 * Exits 1 when a case fails.
 */
import process from "node:process";
import * as api from "../../node.ts";
import { cases, runCases } from "./cases.ts";
import { asPortable } from "./node_cases.ts";

const env = process.env;
if (!env.EDGEWS_CA || !env.EDGEWS_CERT || !env.EDGEWS_KEY) {
  console.log("not ok - setup: EDGEWS_CA, EDGEWS_CERT and EDGEWS_KEY must hold PEM text");
  process.exit(1);
}
const failed = await runCases(
  api,
  { ca: env.EDGEWS_CA, cert: env.EDGEWS_CERT, key: env.EDGEWS_KEY },
  (line) => console.log(line),
  [...cases, ...asPortable(api)],
);
process.exit(failed === 0 ? 0 : 1);
