/** The README's Install section, taken apart for the tests that run its snippets. */

const README = new URL("../README.md", import.meta.url);

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
