/**
 * For the servers that memory tests run in a process of their own (with
 * `--expose-gc`): answer each `heap` or `rss` line on stdin, after a full
 * garbage collection, with one JSON line (`{"heapUsed":N,"external":N}` or
 * `{"rss":N}`),
 * until stdin ends.
 *
 * @module
 */

/** Answer memory commands on stdin until it ends. */
export async function answerMemoryCommands(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  let buffered = "";
  for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let newline;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const command = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (command !== "heap" && command !== "rss") continue;
      // Twice: the first collection can leave finalizable garbage behind.
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
      const usage = Deno.memoryUsage();
      console.log(
        JSON.stringify(
          command === "heap"
            ? { heapUsed: usage.heapUsed, external: usage.external }
            : { rss: usage.rss },
        ),
      );
    }
  }
}
