import assert from "node:assert/strict";
import { parseFlags } from "./_args.ts";

Deno.test("parseFlags skips the -- that deno task passes on", () => {
  const { flags, positional } = parseFlags(["--", "--only", "ours", "--side=server", "url"]);
  assert.deepEqual([...flags], [["only", "ours"], ["side", "server"]]);
  assert.deepEqual(positional, ["url"]);
});

Deno.test("deno task conformance -- --only NAME reads the flag", async () => {
  // An unknown name fails at once, before any case runs: proof the flag got
  // there. (Were --only swallowed, --cases matching nothing would end it.)
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "conformance", "--", "--only", "nobody", "--cases", "none"],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stderr } = await child.output();
  clearTimeout(timer);
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 1, err);
  assert.match(err, /unknown implementation nobody: use ours,native,ws/);
});
