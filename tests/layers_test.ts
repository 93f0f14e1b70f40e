/**
 * The layering the README promises: each folder imports only the folders
 * before it in this list (tests and benchmarks aside), and module code
 * imports nothing but relative `.ts` files and `node:` built-ins.
 */
import assert from "node:assert/strict";
import { LAYERS } from "./_layers.ts";

const root = new URL("../", import.meta.url);

async function moduleFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${folder}/`, root))) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      files.push(`${folder}/${entry.name}`);
    }
  }
  return files;
}

/** Import specifiers of a file's code (not of its JSDoc examples). */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "");
  const specifiers: string[] = [];
  for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/g)) {
    specifiers.push(match[1]!);
  }
  for (const match of code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

Deno.test("each layer imports only the layers below it, and only relative .ts or node: modules", async () => {
  const problems: string[] = [];
  let checked = 0;
  for (const [rank, folder] of LAYERS.entries()) {
    for (const file of await moduleFiles(folder)) {
      const source = await Deno.readTextFile(new URL(file, root));
      for (const specifier of importsOf(source)) {
        checked++;
        if (specifier.startsWith("node:")) continue;
        if (!specifier.startsWith(".") || !specifier.endsWith(".ts")) {
          problems.push(`${file}: imports "${specifier}" (not a relative .ts file)`);
          continue;
        }
        const target = new URL(specifier, new URL(file, root)).pathname.slice(root.pathname.length);
        const targetFolder = target.split("/")[0]!;
        const targetRank = LAYERS.indexOf(targetFolder);
        if (targetRank === -1 || targetRank > rank) {
          problems.push(`${file}: imports ${target}, which is not below ${folder}/`);
        }
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} imports found: the scan is broken`);
  assert.deepEqual(problems, []);
});

/**
 * The import cycles of a file graph (each edge a static or type-only import),
 * as lists of files from the first file back to it, one per strongly
 * connected component (Tarjan's algorithm; a file importing itself counts).
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.unshift(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) {
      cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

Deno.test("findCycles finds a cycle of type-only edges, a self-import, and none in a tree", () => {
  const graph = new Map([
    ["a.ts", ["b.ts", "d.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["e.ts"]],
    ["e.ts", []],
    ["f.ts", ["f.ts"]],
  ]);
  assert.deepEqual(findCycles(graph), [["a.ts", "b.ts", "c.ts"], ["f.ts"]]);
  graph.set("c.ts", ["e.ts"]);
  graph.set("f.ts", []);
  assert.deepEqual(findCycles(graph), []);
});

Deno.test("no import cycles between files, type-only imports included", async () => {
  const graph = new Map<string, string[]>();
  const files = ["mod.ts", "node.ts"];
  for (const folder of LAYERS) files.push(...await moduleFiles(folder));
  for (const file of files) {
    const source = await Deno.readTextFile(new URL(file, root));
    graph.set(
      file,
      importsOf(source)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) =>
          new URL(specifier, new URL(file, root)).pathname.slice(root.pathname.length)
        ),
    );
  }
  assert.ok(graph.size > 100, `only ${graph.size} files found: the scan is broken`);
  assert.deepEqual(findCycles(graph), []);
});

Deno.test("mod.ts and node.ts only re-export", async () => {
  const reexport = /export\s+(?:\*|(?:type\s+)?\{[^}]*\})\s+from\s+"\.\/[a-z_/]+\.ts";/g;
  for (const file of ["mod.ts", "node.ts"]) {
    const code = (await Deno.readTextFile(new URL(file, root))).replace(/\/\*[\s\S]*?\*\//g, "");
    assert.ok(code.match(reexport) !== null, `${file} has no re-export: the check is broken`);
    assert.equal(code.replace(reexport, "").trim(), "", `${file} has more than export ... from`);
  }
});

Deno.test("mod.ts loads no node: module and nothing outside the repository", async () => {
  // Where node: modules do not exist (browsers, Workers without
  // nodejs_compat) a single static import would stop mod.ts from loading.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "mod.ts"],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  assert.ok(info.modules.length > 50, `only ${info.modules.length} modules: the graph is wrong`);
  const outside = info.modules
    .map((module) => module.specifier)
    .filter((specifier) => !specifier.startsWith(root.href));
  assert.deepEqual(outside, []);
});
