/**
 * Runs `app.ts` on Cloudflare Workers (or `workerd` locally), where
 * `upgradeWebSocket` wraps a `WebSocketPair` and the Workers runtime frames.
 * Bundle it (`deno bundle -o worker.js examples/app_workers.ts`) and deploy
 * `worker.js` with the `nodejs_compat` flag (this module uses `node:zlib`
 * for permessage-deflate).
 *
 * @module
 */
import { handler } from "./app.ts";

/** The Worker: every request goes to the app's handler. */
export default { fetch: handler };
