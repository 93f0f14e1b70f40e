/** Examples started as processes, for the tests that drive them. */

/** Start `deno run` on an example and wait for the line matching `ready`. */
export async function startExample(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", "--allow-read", "--allow-env", ...args],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const timer = setTimeout(() => child.kill(), 30_000);
  let match: RegExpExecArray | null = null;
  while (match === null) {
    const { value, done } = await reader.read();
    if (done) break;
    output += value;
    match = ready.exec(output);
  }
  clearTimeout(timer);
  // Keep draining stdout so the child never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  if (match === null) throw new Error(`example did not start: ${output}`);
  return {
    match,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await drained;
      return status;
    },
  };
}
