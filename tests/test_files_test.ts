/**
 * Every library file with runtime code has a test of its own name beside it
 * (`frame_encoder.ts` → `frame_encoder_test.ts`; a private `_x.ts` →
 * `_x_test.ts` or `x_test.ts`), so a reader finds a unit's cases where the
 * unit is. Type-only files (interfaces, type aliases, re-exports) and the
 * `mod.ts` entry points (pinned by tests/exports_test.ts) are exempt.
 */
import assert from "node:assert/strict";
import ts from "typescript";
import { LAYERS } from "./_layers.ts";

const root = new URL("../", import.meta.url);

/**
 * Upper-layer files still without a test of their name (their tests are
 * being written on another branch). Empty this set as they land: the rule
 * fails on a listed file that has its test, so the set only shrinks.
 */
const PENDING = new Set<string>([]);

/**
 * Whether `expression` is plain data: literals, objects and arrays of data,
 * arithmetic on numbers, other constants by name, `Object.freeze(data)`,
 * `data as const` or `data satisfies T`. A module of such constants (the
 * `*_DEFAULTS` objects) has no logic of its own to test: `tests/defaults_test.ts`
 * checks each default against its `@default` and its effect.
 */
function isData(expression: ts.Expression): boolean {
  if (
    ts.isNumericLiteral(expression) || ts.isStringLiteral(expression) ||
    ts.isNoSubstitutionTemplateLiteral(expression) || ts.isIdentifier(expression) ||
    expression.kind === ts.SyntaxKind.TrueKeyword || expression.kind === ts.SyntaxKind.FalseKeyword
  ) {
    return true;
  }
  if (
    ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression) ||
    ts.isParenthesizedExpression(expression)
  ) {
    return isData(expression.expression);
  }
  if (ts.isPrefixUnaryExpression(expression)) return isData(expression.operand);
  if (ts.isBinaryExpression(expression)) return isData(expression.left) && isData(expression.right);
  if (ts.isPropertyAccessExpression(expression)) return isData(expression.expression);
  if (ts.isArrayLiteralExpression(expression)) return expression.elements.every(isData);
  if (ts.isObjectLiteralExpression(expression)) {
    return expression.properties.every((p) => ts.isPropertyAssignment(p) && isData(p.initializer));
  }
  if (ts.isCallExpression(expression)) {
    return expression.expression.getText() === "Object.freeze" &&
      expression.arguments.length === 1 && isData(expression.arguments[0]!);
  }
  return false;
}

/**
 * Whether `source` holds code that runs: anything at the top level other
 * than interfaces, type aliases, ambient (`declare`) declarations, imports
 * that bind names, export lists and re-exports (`export … from`), and
 * `const` declarations of plain data (see `isData`).
 */
export function hasRuntimeCode(source: string): boolean {
  const file = ts.createSourceFile("file.ts", source, ts.ScriptTarget.Latest, true);
  return file.statements.some((statement) => {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) return false;
    if (
      ts.isVariableStatement(statement) &&
      (statement.declarationList.flags & ts.NodeFlags.Const) !== 0 &&
      statement.declarationList.declarations.every((d) =>
        d.initializer !== undefined && isData(d.initializer)
      )
    ) {
      return false;
    }
    if (ts.isImportDeclaration(statement)) return statement.importClause === undefined;
    // `export { a }` and `export … from`: the declarations, if any, are the code.
    if (ts.isExportDeclaration(statement)) return false;
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
    return !modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.DeclareKeyword);
  });
}

Deno.test("hasRuntimeCode: types, imports, re-exports and constant data are not code; the rest is", () => {
  const typeOnly = [
    "",
    "/** A doc. */\n// a comment",
    "export interface A { a: number }\ninterface B {}",
    "export type A = { a: number } | string;",
    'import type { X } from "./x.ts";\nexport type Y = X;',
    'import { X } from "./x.ts";\nexport interface Y { x: X }',
    'export * from "./x.ts";\nexport { a, type B } from "./y.ts";',
    'export type { B } from "./y.ts";',
    "declare const a: number;\ndeclare function f(): void;",
    "type A = string;\nexport type { A };",
    "interface A {}\nexport { A };",
    "export const A = { a: 1 } as const;",
    "export const D: Readonly<X> = Object.freeze({ size: 64 * 1024, on: true, max: OTHER.max });",
    "const a = 1;\nexport { a };",
  ];
  const code = [
    "export const D = Object.freeze({ at: Date.now() });",
    "export const f = () => 1;",
    "export function f() {}",
    "export class C {}",
    "let a = 1;",
    'import "./register.ts";',
    'import { setDefault } from "./x.ts";\nsetDefault(1);',
    "export enum E { A }",
    "export default 1;",
    "export interface A {}\nexport let a: A = {};",
  ];
  for (const source of typeOnly) assert.equal(hasRuntimeCode(source), false, source);
  for (const source of code) assert.equal(hasRuntimeCode(source), true, source);
});

/** The test files that would name `file` (folder/name.ts) as their unit. */
function testNames(file: string): string[] {
  const stem = file.slice(0, -".ts".length);
  const slash = stem.lastIndexOf("/");
  const name = stem.slice(slash + 1);
  const names = [`${stem}_test.ts`];
  if (name.startsWith("_")) names.push(`${stem.slice(0, slash + 1)}${name.slice(1)}_test.ts`);
  return names;
}

Deno.test("testNames: a file's own test, or a private file's test without the underscore", () => {
  assert.deepEqual(testNames("frames/frame_encoder.ts"), ["frames/frame_encoder_test.ts"]);
  assert.deepEqual(testNames("frames/_output_slab.ts"), [
    "frames/_output_slab_test.ts",
    "frames/output_slab_test.ts",
  ]);
});

Deno.test("every library file with runtime code has a test of its name beside it", async () => {
  const files = new Set<string>();
  for (const folder of LAYERS) {
    for await (const entry of Deno.readDir(new URL(`${folder}/`, root))) {
      if (entry.isFile && entry.name.endsWith(".ts")) files.add(`${folder}/${entry.name}`);
    }
  }
  const missing: string[] = [];
  let exempt = 0;
  for (const file of [...files].sort()) {
    if (file.endsWith("_test.ts") || file.endsWith("/mod.ts")) continue;
    if (!hasRuntimeCode(await Deno.readTextFile(new URL(file, root)))) {
      exempt++;
      continue;
    }
    if (!testNames(file).some((name) => files.has(name))) missing.push(file);
  }
  assert.ok(files.size > 150 && exempt > 3, `${files.size} files, ${exempt} exempt: scan broken`);
  const pending = missing.filter((file) => PENDING.has(file));
  assert.deepEqual(
    missing.filter((file) => !PENDING.has(file)),
    [],
    "these files have runtime code but no test of their name beside them",
  );
  assert.deepEqual(
    [...PENDING].filter((file) => !pending.includes(file)),
    [],
    "these PENDING files have a test now (or are gone): remove them from PENDING",
  );
});
