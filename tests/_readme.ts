/** The README's Install section, taken apart for the tests that run its snippets. */

const ROOT = new URL("../", import.meta.url);
const README = new URL("README.md", ROOT);

/** What the Install section says, as the tests run it. */
export interface Install {
  /** The program shown for every runtime (it imports `@edgews/websocket`). */
  program: string;
  /** The `deno run` command line for a URL import, split into words. */
  urlCommand: string[];
  /** The host:port that command allows imports from. */
  urlHost: string;
  /** The content type a static server must send for `.ts` files. */
  contentType: string;
}

/** Read the Install section of README.md. */
export async function readmeInstall(): Promise<Install> {
  const text = await Deno.readTextFile(README);
  const section = /\n## Install\n([\s\S]*?)\n## /.exec(text)?.[1];
  if (section === undefined) throw new Error("README.md has no Install section");
  const program = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  const command = /`(deno run [^`]*--allow-import=[^`]*)`/.exec(section)?.[1];
  const contentType = /content type `([^`]+)`/.exec(section)?.[1];
  if (program === undefined || command === undefined || contentType === undefined) {
    throw new Error("README.md's Install section lost its program, command or content type");
  }
  const urlCommand = command.split(/\s+/);
  const urlHost = /--allow-import=(\S+)/.exec(command)![1]!;
  return { program, urlCommand, urlHost, contentType };
}

/** A fenced block of README.md, named by the heading above it and its place under that heading. */
export interface ReadmeBlock {
  /** The info string's first word: `ts`, `js`, `sh`, `nginx`, or "" for plain text. */
  lang: string;
  /** Whether the info string says `ignore` (not run by `deno test --doc`). */
  ignore: boolean;
  /** `heading #n`: the nearest heading above and the block's 1-based index of this `lang` under it. */
  name: string;
  /** The block's text. */
  code: string;
  /** Its first line in README.md (1-based), for messages. */
  line: number;
}

/** Every fenced block of README.md, in order. */
export async function readmeBlocks(): Promise<ReadmeBlock[]> {
  const lines = (await Deno.readTextFile(README)).split("\n");
  const blocks: ReadmeBlock[] = [];
  let heading = "";
  const counts = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const title = /^#{1,6} (.*)$/.exec(line);
    if (title !== null) {
      heading = title[1]!;
      counts.clear();
      continue;
    }
    const fence = /^```(.*)$/.exec(line);
    if (fence === null) continue;
    const [lang = "", ...flags] = fence[1]!.trim().split(/\s+/);
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const index = (counts.get(lang) ?? 0) + 1;
    counts.set(lang, index);
    blocks.push({
      lang,
      ignore: flags.includes("ignore"),
      name: `${heading} #${index}`,
      code: lines.slice(i + 1, end).join("\n") + "\n",
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}

/**
 * Make a README snippet a program that runs from any directory: `./x.ts`
 * imports point into the repository; each `[from, to]` of `rewrites`
 * (a port, a host the test serves) must occur, so a README edit that drops
 * one fails the test instead of running something else.
 */
export function snippetProgram(
  block: ReadmeBlock,
  rewrites: [string, string][] = [],
  append = "",
): string {
  let code = block.code + append;
  for (const [from, to] of rewrites) {
    if (!code.includes(from)) throw new Error(`README ${block.name}: no "${from}" to rewrite`);
    code = code.replaceAll(from, to);
  }
  return code.replace(/from "\.\/([^"]+)"/g, (_, path) => `from "${new URL(path, ROOT)}"`);
}

/** A snippet running in a child process. */
export interface SnippetProcess {
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the match once `pattern` is in the output; rejects after `ms` or on exit. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Its exit status, once it exits by itself. */
  status: Promise<Deno.CommandStatus>;
  /** SIGKILL if still running, then wait for it (and its output) to end. */
  stop(): Promise<void>;
}

/**
 * Run `program` (a snippet made by {@linkcode snippetProgram}) with
 * `deno run` in `dir` (written there as `snippet.ts`), with network access
 * to loopback only, reads anywhere and writes to `dir`.
 */
export async function runSnippet(
  program: string,
  dir: string,
  env: Record<string, string> = {},
): Promise<SnippetProcess> {
  await Deno.writeTextFile(`${dir}/snippet.ts`, program);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-check",
      "--allow-net=127.0.0.1,localhost",
      "--allow-read",
      `--allow-write=${dir}`,
      "--allow-env",
      "snippet.ts",
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", ...env },
  }).spawn();
  let output = "";
  const waiters = new Set<() => void>();
  let exited = false;
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output += text;
      for (const wake of waiters) wake();
    }
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const status = child.status.then(async (status) => {
    await collecting;
    exited = true;
    for (const wake of waiters) wake();
    return status;
  });
  const waitFor = (pattern: RegExp, ms = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match === null && !exited) return;
        waiters.delete(check);
        clearTimeout(timer);
        if (match !== null) resolve(match);
        else reject(new Error(`the snippet exited without printing ${pattern}:\n${output}`));
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`Timed out after ${ms} ms waiting for ${pattern}:\n${output}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return {
    output: () => output,
    waitFor,
    status,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await status;
    },
  };
}
