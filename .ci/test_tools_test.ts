import assert from "node:assert/strict";
import {
  BUN_VERSION,
  DEBIAN_PACKAGES,
  ensureTools,
  type Host,
  type RunOptions,
  TOOLS_DIR,
  WORKERD_VERSION,
} from "./test_tools.ts";

const SCRIPT = new URL("./test_tools.ts", import.meta.url).pathname;
const WORKERD_LINE = `workerd ${
  WORKERD_VERSION.replace(/^1\.(\d{4})(\d\d)(\d\d)\..*$/, "$1-$2-$3")
}`;

/** A machine where `programs` are installed, recording what is run. */
function fakeHost(uid: number, programs: Map<string, string>) {
  const ran: string[] = [];
  const env: (Record<string, string> | undefined)[] = [];
  const host: Host & { ran: string[]; env: typeof env; onRun?: (line: string) => void } = {
    uid,
    ran,
    env,
    find: (program) => programs.has(program) ? `/fake/${program}` : undefined,
    run(program: string, args: string[], options: RunOptions = {}) {
      const name = program.replace(/^\/fake\//, "");
      const line = [name, ...args].join(" ");
      if (args[0] === "--version") {
        return Promise.resolve({ code: 0, stdout: `${programs.get(name) ?? ""}\n` });
      }
      ran.push(line);
      env.push(options.env);
      host.onRun?.(line);
      return Promise.resolve({ code: 0, stdout: "" });
    },
    log() {},
  };
  return host;
}

/** The path of `tool` on the suite's PATH. */
async function which(tool: string): Promise<string> {
  const { stdout } = await new Deno.Command("bash", {
    args: ["-c", `command -v ${tool}`],
    stdout: "piped",
  }).output();
  const found = new TextDecoder().decode(stdout).trim();
  assert.notEqual(found, "", `${tool} is on the suite's PATH`);
  return found;
}

function everything(): Map<string, string> {
  const programs = new Map([
    ["node", "v20.20.2"],
    ["npm", "11.0.0"],
    ["apt-get", ""],
    ["bun", BUN_VERSION],
    ["workerd", WORKERD_LINE],
  ]);
  for (const { program } of DEBIAN_PACKAGES) programs.set(program, "");
  return programs;
}

Deno.test("test_tools: with everything there it runs nothing but --version", async () => {
  const host = fakeHost(0, everything());
  assert.equal(await ensureTools("/repo", host), undefined);
  assert.deepEqual(host.ran, []);
});

Deno.test("test_tools: as root it runs apt-get update once, then installs the missing packages", async () => {
  const programs = everything();
  programs.delete("curl");
  programs.delete("nginx");
  const host = fakeHost(0, programs);
  host.onRun = (line) => {
    if (line.startsWith("apt-get install")) {
      programs.set("curl", "");
      programs.set("nginx", "");
    }
  };
  assert.equal(await ensureTools("/repo", host), undefined);
  assert.deepEqual(host.ran, [
    "apt-get update",
    "apt-get install -y --no-install-recommends curl nginx",
  ]);
  assert.deepEqual(host.env, [
    { DEBIAN_FRONTEND: "noninteractive" },
    { DEBIAN_FRONTEND: "noninteractive" },
  ]);
  // Idempotent: a second run finds them and installs nothing.
  assert.equal(await ensureTools("/repo", host), undefined);
  assert.equal(host.ran.length, 2);
});

Deno.test("test_tools: a package apt-get did not provide is named", async () => {
  const programs = everything();
  programs.delete("redis-server");
  const host = fakeHost(0, programs);
  assert.equal(
    await ensureTools("/repo", host),
    "apt-get install redis-server failed: still missing redis-server",
  );
});

Deno.test("test_tools: not root, one line names the missing packages and installs nothing", async () => {
  const programs = everything();
  programs.delete("tinyproxy");
  programs.delete("/usr/bin/chromium");
  const host = fakeHost(1000, programs);
  assert.equal(
    await ensureTools("/repo", host),
    "missing chromium, tinyproxy: install the Debian packages as root " +
      "(apt-get install chromium tinyproxy), or run deno task test as root to have them installed",
  );
  assert.deepEqual(host.ran, []);
});

Deno.test("test_tools: Bun or workerd of another version installs the pinned ones into .tools", async () => {
  const programs = everything();
  programs.set("bun", "1.1.0");
  programs.delete("workerd");
  const host = fakeHost(1000, programs);
  host.onRun = (line) => {
    if (line.startsWith("npm install")) {
      programs.set("bun", BUN_VERSION);
      programs.set("workerd", WORKERD_LINE);
    }
  };
  assert.equal(await ensureTools("/repo", host), undefined);
  assert.deepEqual(host.ran, [
    `npm install --prefix /repo/${TOOLS_DIR} --no-fund --no-audit --save-exact ` +
    `bun@${BUN_VERSION} workerd@${WORKERD_VERSION}`,
  ]);
});

Deno.test("test_tools: Bun's platform binary is linked when npm skipped the install script", async () => {
  const programs = everything();
  programs.delete("bun");
  const host = fakeHost(1000, programs);
  host.onRun = (line) => {
    if (line.startsWith("node ")) programs.set("bun", BUN_VERSION);
  };
  assert.equal(await ensureTools("/repo", host), undefined);
  assert.equal(host.ran[1], `node /repo/${TOOLS_DIR}/node_modules/bun/install.js`);
});

Deno.test("test_tools: without Node 20 it says so and does nothing else", async () => {
  const programs = everything();
  programs.set("node", "v18.19.0");
  const host = fakeHost(0, programs);
  assert.match(
    await ensureTools("/repo", host) ?? "",
    /^Node\.js 20 or later is needed \(found v18/,
  );
  programs.delete("node");
  assert.match(await ensureTools("/repo", host) ?? "", /\(found none\)/);
  assert.deepEqual(host.ran, []);
});

Deno.test("test_tools as a process, not root, with tools hidden from PATH: one line, exit 1", async () => {
  // A PATH with Node and the runtimes only: the Debian programs looked up on
  // PATH are missing. As root, the script runs as nobody (setpriv), so it
  // takes the not-root path for real.
  const bin = await Deno.makeTempDir();
  const denoDir = await Deno.makeTempDir();
  try {
    for (const tool of ["node", "npm", "bun", "workerd"]) {
      await Deno.symlink(await which(tool), `${bin}/${tool}`);
    }
    await Deno.chmod(bin, 0o755);
    await Deno.chmod(denoDir, 0o777);
    // The script runs from where nobody can read it: the checkout may sit in
    // a directory only its owner can enter (mktemp -d makes them 0700).
    const script = `${denoDir}/test_tools.ts`;
    await Deno.copyFile(SCRIPT, script);
    await Deno.chmod(script, 0o644);
    const deno = ["run", "--allow-run", "--allow-read", "--allow-env", "--allow-sys=uid", script];
    // `id -u`, not Deno.uid(): the test task grants no --allow-sys.
    const asRoot = new TextDecoder().decode(
      (await new Deno.Command("id", { args: ["-u"], stdout: "piped" }).output()).stdout,
    ).trim() === "0";
    const { code, stdout, stderr } = await new Deno.Command(
      asRoot ? await which("setpriv") : Deno.execPath(),
      {
        args: asRoot
          ? ["--reuid=65534", "--regid=65534", "--clear-groups", "--", Deno.execPath(), ...deno]
          : deno,
        clearEnv: true,
        // A working directory nobody can enter fails every spawn it makes.
        cwd: denoDir,
        env: { PATH: bin, DENO_DIR: denoDir, HOME: denoDir, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      },
    ).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 1, err);
    assert.equal(new TextDecoder().decode(stdout), "");
    const hidden = DEBIAN_PACKAGES.filter(({ program }) => !program.includes("/")).map((p) =>
      p.name
    );
    const lines = err.trimEnd().split("\n");
    assert.equal(lines.length, 1, err);
    assert.equal(
      lines[0],
      `deno task test: missing ${hidden.join(", ")}: install the Debian packages as root ` +
        `(apt-get install ${
          hidden.join(" ")
        }), or run deno task test as root to have them installed`,
    );
  } finally {
    await Deno.remove(bin, { recursive: true });
    await Deno.remove(denoDir, { recursive: true });
  }
});
