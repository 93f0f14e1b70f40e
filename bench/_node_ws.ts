/**
 * `ws` for Node, installed into `bench/.node` from the npm registry when that
 * exact version is not there yet. Shared by the end-to-end benchmark and the
 * conformance runner, which both run `ws` peers under Node.
 *
 * @module
 */

/** The version of `ws` the peers run. */
export const WS_VERSION = "8.18.3";

const ROOT = new URL("../", import.meta.url).pathname;
/** Where `ws` is installed (`bench/.node/node_modules/ws`). */
export const WS_DIR = `${ROOT}bench/.node`;

/**
 * Install `ws@WS_VERSION` into `WS_DIR` unless it is there.
 *
 * @param log Told when an install starts.
 */
export async function ensureWs(log: (line: string) => void): Promise<void> {
  try {
    const pkg = JSON.parse(await Deno.readTextFile(`${WS_DIR}/node_modules/ws/package.json`));
    if (pkg.version === WS_VERSION) return;
  } catch {
    // Not installed.
  }
  log(`installing ws@${WS_VERSION} for Node into bench/.node`);
  const output = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      WS_DIR,
      `ws@${WS_VERSION}`,
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`npm install ws failed:\n${new TextDecoder().decode(output.stderr)}`);
  }
}
