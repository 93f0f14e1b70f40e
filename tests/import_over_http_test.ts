/**
 * Users import `mod.ts` by URL with no import map, no node_modules and no
 * config. This test serves the repository from a static HTTP server on
 * loopback and runs a fresh Deno process that imports `mod.ts` (and two core
 * subpaths) from it.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".json": "application/json",
};

Deno.test("mod.ts imports over http://127.0.0.1 with no config and works", async () => {
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    requested.push(path);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(new URL(`.${path}`, ROOT));
      const extension = path.slice(path.lastIndexOf("."));
      return new Response(body, {
        headers: { "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const origin = `127.0.0.1:${server.addr.port}`;
    const script = `
      import { CloseCode, WebSocketStream } from "http://${origin}/mod.ts";
      import { FrameDecoder, FrameEncoder } from "http://${origin}/frames/mod.ts";
      import { MessageAssembler, MessageEncoder } from "http://${origin}/messages/mod.ts";
      const out: unknown[] = [typeof WebSocketStream, CloseCode.NormalClosure];
      const decoder = new FrameDecoder(new MessageAssembler((m) => out.push(m)), { role: "server" });
      const encoder = new FrameEncoder({ role: "client" });
      for (const f of new MessageEncoder({ fragmentSize: 2 }).encode({ type: "text", data: "over http" })) {
        for (const b of encoder.encode(f)) decoder.write(b);
      }
      console.log(JSON.stringify(out));
    `;
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--reload",
        "--check=all",
        `--allow-import=${origin}`,
        "-",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
    const child = command.spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), [
      "function",
      1000,
      { type: "text", data: "over http" },
    ]);
    assert.ok(requested.includes("/mod.ts"));
    assert.ok(requested.includes("/connection/websocket.ts"), "relative imports followed");
  } finally {
    await server.shutdown();
  }
});
