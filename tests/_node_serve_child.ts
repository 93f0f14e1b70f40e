/**
 * The Node `serve` for `transports/node_serve_test.ts` (bundled, run by node): a
 * 100-byte body limit, an endless event stream that says when it is
 * cancelled, and a body counter. Prints `listening on PORT`.
 *
 * @module
 */
import { serve } from "../node.ts";

let ticker: ReturnType<typeof setInterval> | undefined;
serve({
  hostname: "127.0.0.1",
  port: 0,
  maxBodySize: 100,
  onListen: (addr) => console.log(`listening on ${addr.port}`),
}, async (request, info) => {
  if (new URL(request.url).pathname === "/events") {
    request.signal.addEventListener("abort", () => console.log("aborted"));
    void info.completed.then(() => console.log("completed"));
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          ticker = setInterval(
            () => controller.enqueue(new TextEncoder().encode("data: x\n\n")),
            20,
          );
        },
        cancel() {
          clearInterval(ticker);
          console.log("cancelled");
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  }
  try {
    return new Response(`${(await request.arrayBuffer()).byteLength}`);
  } catch (error) {
    return new Response(`${(error as Error).message}\n`, { status: 413 });
  }
});
