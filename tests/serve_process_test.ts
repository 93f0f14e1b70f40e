/**
 * `serve()` in a process of its own: it keeps serving after running out of
 * file descriptors, and logs what a handler throws, as `Deno.serve` does.
 */
import assert from "node:assert/strict";
import { deadline, RawHttp } from "./_http_raw.ts";

interface Child {
  port: number;
  process: Deno.ChildProcess;
  stderr: () => string;
}

async function startChild(ulimit?: number): Promise<Child> {
  const script = new URL("./_serve_child.ts", import.meta.url).pathname;
  const command = `${
    ulimit === undefined ? "" : `ulimit -n ${ulimit} && `
  }exec "${Deno.execPath()}" run --allow-net=127.0.0.1 "${script}"`;
  const process = new Deno.Command("bash", {
    args: ["-c", command],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let stderr = "";
  void (async () => {
    for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) stderr += text;
  })();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { done, value } = await deadline(reader.read(), 20_000, "the child's port");
    if (done) throw new Error(`The child exited: ${stderr}`);
    line += value;
  }
  reader.releaseLock();
  process.stdout.cancel().catch(() => {});
  return { port: (JSON.parse(line) as { port: number }).port, process, stderr: () => stderr };
}

async function stop(child: Child): Promise<void> {
  child.process.kill("SIGKILL");
  await child.process.status;
}

Deno.test("serve keeps accepting after running out of file descriptors", async () => {
  const child = await startChild(64);
  const clients: RawHttp[] = [];
  try {
    // Twice the descriptors the child has: most wait in the backlog or fail its accept.
    for (let i = 0; i < 128; i++) clients.push(await RawHttp.connect(child.port));
    // Whatever the child did not accept cannot be answered until descriptors free up:
    // make sure it ran into the limit (its log says so) before freeing them.
    await deadline(
      (async () => {
        while (!child.stderr().includes("accept failed")) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      20_000,
      "the accept error in the child's log",
    );
    for (const client of clients.splice(0)) client.close();
    // Served again, and still alive.
    for (let i = 0; i < 3; i++) {
      const client = await RawHttp.connect(child.port);
      await client.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
      const response = await deadline(client.response(), 20_000, "a response after the burst");
      assert.equal(response.body, "ok");
      client.close();
    }
    assert.equal(child.stderr().match(/accept failed/g)?.length, 1, child.stderr());
  } finally {
    for (const client of clients) client.close();
    await stop(child);
  }
});

Deno.test("serve logs a handler's error to stderr and answers 500", async () => {
  const child = await startChild();
  try {
    const client = await RawHttp.connect(child.port);
    await client.send("GET /throw HTTP/1.1\r\n\r\n");
    assert.equal((await client.response()).status, 500);
    // The connection goes on after a handler error.
    await client.send("GET / HTTP/1.1\r\n\r\n");
    assert.equal((await client.response()).body, "ok");
    client.close();
    await deadline(
      (async () => {
        while (!child.stderr().includes("handler failure for the test")) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      10_000,
      "the handler's error on stderr",
    );
  } finally {
    await stop(child);
  }
});
