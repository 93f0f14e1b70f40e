/**
 * Runs `_feature_cases.ts` on Node or Bun against `node.ts`; prints one
 * line per case and exits 1 when one fails.
 */
import process from "node:process";
import * as api from "../node.ts";
import { runCases } from "./portable/cases.ts";
import { featureCases } from "./_feature_cases.ts";

const none = { ca: "", cert: "", key: "" };
const failed = await runCases(api, none, (line) => console.log(line), featureCases);
process.exit(failed === 0 ? 0 : 1);
