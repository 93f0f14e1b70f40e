/**
 * The README's Install section, run: its program imported by URL from a
 * static server on loopback that sends the content type the README names,
 * with the README's `deno run` flags (the host swapped for the server's).
 * The same program runs under `deno test --doc` (by the package name) and
 * in Node and Bun projects from the npm tarball (`npm/build_test.ts`).
 */
import assert from "node:assert/strict";
import { readmeInstall } from "./_readme.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("README Install: the program runs imported by URL with the README's flags and content type", async () => {
  const { program, urlCommand, urlHost, contentType } = await readmeInstall();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(new URL(`.${path}`, ROOT));
      return new Response(body, { headers: { "content-type": contentType } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const dir = await Deno.makeTempDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    await Deno.writeTextFile(
      `${dir}/app.ts`,
      program.replace('"@edgews/websocket"', `"http://${host}/mod.ts"`),
    );
    const [deno, ...args] = urlCommand;
    assert.equal(deno, "deno");
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: args.map((arg) => arg.replace(urlHost, host)),
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(new TextDecoder().decode(stdout), "hello\n");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
