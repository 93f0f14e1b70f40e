/**
 * The first step of `deno task test`: makes sure the programs the test suite
 * drives are there, and installs what is missing, so a machine with only
 * Deno, Node and npm runs the whole suite (no test is skipped for a missing
 * tool):
 *
 * - Bun and workerd, pinned, from the npm registry into `.tools/`
 *   (git-ignored), whose `node_modules/.bin` the test task puts first on
 *   `PATH` (with `/usr/sbin` last, for nginx); a copy already on `PATH` is
 *   used when it has the pinned version;
 * - Debian packages (Chromium, tinyproxy, OpenSSL, curl, Redis, nginx):
 *   `apt-get update` once, then `apt-get install`, when running as root;
 *   otherwise one line naming what to install, and exit status 1.
 *
 * Quick when everything is there: a few `--version` calls, nothing else.
 *
 * Run: `deno run --allow-run --allow-read --allow-env --allow-sys=uid .ci/test_tools.ts`
 *
 * @module
 */

/** Bun from the npm registry (the `bun` package; its binary comes from `@oven/bun-*`). */
export const BUN_VERSION = "1.4.5";
/** workerd from the npm registry (binary from `@cloudflare/workerd-*`). */
export const WORKERD_VERSION = "1.20261117.1";
/** Where Bun and workerd go, relative to the repository (git-ignored). */
export const TOOLS_DIR = ".tools";

/** Debian packages the suite needs, each found by its program. */
export const DEBIAN_PACKAGES: readonly { name: string; program: string }[] = [
  { name: "chromium", program: "/usr/bin/chromium" }, // tests/_chromium.ts runs this path
  { name: "tinyproxy", program: "tinyproxy" },
  { name: "openssl", program: "openssl" },
  { name: "curl", program: "curl" },
  { name: "redis-server", program: "redis-server" },
  { name: "nginx", program: "nginx" },
];

/** Options of {@linkcode Host.run}. */
export interface RunOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Return the standard output instead of showing it. */
  capture?: boolean;
}

/** What {@linkcode ensureTools} needs from the machine (a test passes its own). */
export interface Host {
  /** The user id; 0 is root, null where there is none (Windows). */
  uid: number | null;
  /** The path of `program` (a path, or a name looked up on `PATH`), if it is there. */
  find(program: string): string | undefined;
  /**
   * Run a program found on `PATH` (code 127 when it is not there). Its
   * output is shown, unless `capture` asks for its standard output.
   */
  run(program: string, args: string[], options?: RunOptions): Promise<{
    code: number;
    stdout: string;
  }>;
  /** Print a progress line. */
  log(line: string): void;
}

/** Whether `program` (a path, or a name looked up on `path`) is an executable file. */
export function findProgram(program: string, path: string): string | undefined {
  const candidates = program.includes("/")
    ? [program]
    : path.split(":").filter((dir) => dir !== "").map((dir) => `${dir}/${program}`);
  for (const candidate of candidates) {
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/**
 * Install what the suite needs and is missing.
 *
 * @param root The repository's directory.
 * @returns `undefined` when everything is there, else the one line that says
 * what to install.
 */
export async function ensureTools(root: string, host: Host): Promise<string | undefined> {
  const nodeVersion = await _version(host, "node");
  const nodeMajor = Number(/^v(\d+)\./.exec(nodeVersion)?.[1] ?? 0);
  if (nodeMajor < 20) {
    return `Node.js 20 or later is needed (found ${nodeVersion || "none"}): install it ` +
      "(https://nodejs.org/ or your package manager), then run deno task test again";
  }
  const failed = await _ensureDebianPackages(host);
  if (failed !== undefined) return failed;
  return await _ensureNpmTools(root, host);
}

async function _ensureDebianPackages(host: Host): Promise<string | undefined> {
  const missing = () =>
    DEBIAN_PACKAGES.filter(({ program }) => host.find(program) === undefined)
      .map(({ name }) => name);
  const names = missing();
  if (names.length === 0) return undefined;
  const list = names.join(" ");
  if (host.uid !== 0) {
    return `missing ${names.join(", ")}: install the Debian packages as root ` +
      `(apt-get install ${list}), or run deno task test as root to have them installed`;
  }
  if (host.find("apt-get") === undefined) {
    return `missing ${names.join(", ")}: install them (Debian packages ${list}; ` +
      "there is no apt-get here), then run deno task test again";
  }
  host.log(`installing Debian packages: ${list}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if ((await host.run("apt-get", ["update"], { env })).code !== 0) {
    return "apt-get update failed (see above)";
  }
  const install = await host.run(
    "apt-get",
    ["install", "-y", "--no-install-recommends", ...names],
    { env },
  );
  const still = missing();
  if (install.code !== 0 || still.length > 0) {
    return `apt-get install ${list} failed${
      still.length > 0 ? `: still missing ${still.join(", ")}` : " (see above)"
    }`;
  }
  return undefined;
}

async function _ensureNpmTools(root: string, host: Host): Promise<string | undefined> {
  const dir = `${root}/${TOOLS_DIR}`;
  const workerdWanted = `workerd ${
    WORKERD_VERSION.replace(/^1\.(\d{4})(\d\d)(\d\d)\..*$/, "$1-$2-$3")
  }`;
  const bunOk = async () => (await _version(host, "bun")) === BUN_VERSION;
  const workerdOk = async () => (await _version(host, "workerd")) === workerdWanted;
  if (await bunOk() && await workerdOk()) return undefined;
  if (host.find("npm") === undefined) {
    return `npm is needed to install bun@${BUN_VERSION} and workerd@${WORKERD_VERSION}: ` +
      "install npm (it comes with Node.js), then run deno task test again";
  }
  host.log(`installing bun@${BUN_VERSION} and workerd@${WORKERD_VERSION} from npm into ${dir}`);
  const install = await host.run("npm", [
    "install",
    "--prefix",
    dir,
    "--no-fund",
    "--no-audit",
    "--save-exact",
    `bun@${BUN_VERSION}`,
    `workerd@${WORKERD_VERSION}`,
  ]);
  if (install.code !== 0) return "npm install of bun and workerd failed (see above)";
  // npm may skip the package's install script, which links Bun's platform binary.
  if (!await bunOk()) await host.run("node", [`${dir}/node_modules/bun/install.js`]);
  if (!await bunOk()) return `bun ${BUN_VERSION} is still missing after npm install`;
  if (!await workerdOk()) return `${workerdWanted} is still missing after npm install`;
  return undefined;
}

/** The first line `program --version` prints, or "" when it does not run. */
async function _version(host: Host, program: string): Promise<string> {
  const found = host.find(program);
  if (found === undefined) return "";
  const { code, stdout } = await host.run(found, ["--version"], { capture: true });
  return code === 0 ? stdout.trim().split("\n")[0]!.trim() : "";
}

/** The real machine. */
function _realHost(): Host {
  const path = Deno.env.get("PATH") ?? "";
  return {
    uid: Deno.uid(),
    find: (program) => findProgram(program, path),
    async run(program, args, { env = {}, capture = false } = {}) {
      const command = new Deno.Command(program, {
        args,
        env: { PATH: path, ...env },
        stdin: "null",
        stdout: capture ? "piped" : "inherit",
        stderr: "inherit",
      });
      try {
        if (!capture) return { code: (await command.spawn().status).code, stdout: "" };
        const { code, stdout } = await command.output();
        return { code, stdout: new TextDecoder().decode(stdout) };
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return { code: 127, stdout: "" };
        throw error;
      }
    },
    log: (line) => console.error(line),
  };
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
  const failed = await ensureTools(root, _realHost());
  if (failed !== undefined) {
    console.error(`deno task test: ${failed}`);
    Deno.exit(1);
  }
}
