/**
 * Builds the npm package from the same sources as the JSR one: every module
 * that an export of `deno.json` reaches, transpiled one by one to ES2022
 * JavaScript with its `.d.ts` (TypeScript's isolated declarations: the
 * public API is explicitly typed, as JSR requires), relative imports
 * rewritten from `.ts` to `.js`. `package.json` maps the root to `node.js`
 * under the `node` and `bun` conditions (the `serve` of `node:http`, the
 * `node:net` connector) and to `mod.js` elsewhere (Deno, Workers, browsers),
 * so Node users import one name.
 *
 * Run: `deno task npm` (into `dist/npm/`), then `npm pack` or `npm publish`
 * there. `--out DIR` builds elsewhere.
 *
 * @module
 */
import ts from "typescript";
import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url);

/** What `deno.json` says about the package. */
interface DenoJson {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
}

/** The files that `entries` reach through relative imports, entries first. */
export function moduleGraph(entries: string[], read: (path: string) => string): string[] {
  const seen = new Set<string>();
  const queue = entries.map((entry) => entry.replace(/^\.\//, ""));
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const { importedFiles } = ts.preProcessFile(read(path), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) continue;
      queue.push(new URL(fileName, `file:///${path}`).pathname.slice(1));
    }
  }
  return [...seen];
}

/** `./x.ts` → `./x.js` for relative specifiers. */
function rewriteSpecifier(specifier: string): string {
  return specifier.startsWith(".") && specifier.endsWith(".ts")
    ? `${specifier.slice(0, -3)}.js`
    : specifier;
}

/** A declaration transformer that rewrites the module specifiers of imports and exports. */
const rewriteDeclarationImports: ts.TransformerFactory<ts.SourceFile | ts.Bundle> = (context) => {
  const { factory } = context;
  const visit = (node: ts.Node): ts.Node => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const literal = factory.createStringLiteral(rewriteSpecifier(node.moduleSpecifier.text));
      return ts.isImportDeclaration(node)
        ? factory.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          literal,
          node.attributes,
        )
        : factory.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          literal,
          node.attributes,
        );
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) {
        return factory.updateImportTypeNode(
          node,
          factory.createLiteralTypeNode(
            factory.createStringLiteral(rewriteSpecifier(literal.text)),
          ),
          node.attributes,
          node.qualifier,
          node.typeArguments,
          node.isTypeOf,
        );
      }
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (node) => ts.visitNode(node, visit) as ts.SourceFile | ts.Bundle;
};

/**
 * Transpile `files` (paths relative to `root`) into `out`: JavaScript without
 * comments, declarations with their JSDoc. No type check (`deno check` does
 * that); the checker only infers what a declaration leaves implicit.
 */
export function transpile(root: string, files: string[], out: string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    declaration: true,
    rewriteRelativeImportExtensions: true,
    allowImportingTsExtensions: true,
    strict: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noCheck: true,
    noLib: true,
    types: [],
    rootDir: root,
    outDir: out,
  };
  const paths = files.map((file) => `${root}/${file}`);
  const written: string[] = [];
  const writeFile: ts.WriteFileCallback = (fileName, text) => {
    Deno.mkdirSync(fileName.slice(0, fileName.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(fileName, text);
    written.push(fileName.slice(out.length + 1));
  };
  const js = ts.createProgram(paths, { ...options, declaration: false, removeComments: true })
    .emit(undefined, writeFile);
  const dts = ts.createProgram(paths, { ...options, emitDeclarationOnly: true })
    .emit(undefined, writeFile, undefined, true, {
      afterDeclarations: [rewriteDeclarationImports],
    });
  const problems = [...js.diagnostics, ...dts.diagnostics];
  if (problems.length > 0 || js.emitSkipped || dts.emitSkipped) {
    throw new Error(
      `Cannot transpile: ${
        problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("; ")
      }`,
    );
  }
  return [...new Set(written)];
}

/** `./frames/mod.ts` → `{ types: "./frames/mod.d.ts", default: "./frames/mod.js" }`. */
function target(entry: string): { types: string; default: string } {
  const base = entry.replace(/\.ts$/, "");
  return { types: `${base}.d.ts`, default: `${base}.js` };
}

/** The `package.json` of the npm package. */
export function packageJson(deno: DenoJson): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const [subpath, entry] of Object.entries(deno.exports)) {
    exports[subpath] = subpath === "."
      ? {
        // Deno reads npm packages under "deno" and "node": keep it on mod.js.
        deno: target(entry),
        bun: target(deno.exports["./node"]!),
        node: target(deno.exports["./node"]!),
        ...target(entry),
      }
      : target(entry);
  }
  exports["./package.json"] = "./package.json";
  return {
    name: deno.name,
    version: deno.version,
    description: "WebSocket (RFC 6455, permessage-deflate) for Node, Bun, Deno and Workers: " +
      "client, server, WHATWG WebSocket and WebSocketStream, no dependencies",
    license: deno.license,
    type: "module",
    exports,
    types: target(deno.exports["."]!).types,
    engines: { node: ">=20" },
    keywords: ["websocket", "rfc6455", "permessage-deflate", "websocketstream", "bun", "deno"],
  };
}

/** Build the package into `out` (emptied first); returns the files written. */
export async function build(out: string): Promise<string[]> {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as DenoJson;
  const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));
  const files = moduleGraph(Object.values(deno.exports), read);
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const written: string[] = [];
  const write = async (path: string, text: string) => {
    const file = `${out}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, text);
    written.push(path);
  };
  written.push(...transpile(ROOT.pathname.replace(/\/$/, ""), files, out));
  await write("package.json", JSON.stringify(packageJson(deno), null, 2) + "\n");
  await write("LICENSE", read("LICENSE"));
  const program = /\n## Install\n[\s\S]*?(```js\n[\s\S]*?```\n)/.exec(read("README.md"))?.[1];
  if (program === undefined) throw new Error("README.md's Install section has no js program");
  await write("README.md", read("npm/README.md").replace(/<!-- The build puts .*-->\n/, program));
  return written;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string" } } });
  const out = values.out ?? new URL("dist/npm", ROOT).pathname;
  const written = await build(out);
  console.log(`${out}: ${written.length} files`);
}
