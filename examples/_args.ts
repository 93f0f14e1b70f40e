/**
 * Minimal `--name value` flag parsing for the examples (no dependencies). A
 * bare `--` is skipped: `deno task NAME -- --flag value` passes it on.
 */
export function parseFlags(args: string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") continue;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq !== -1) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      else flags.set(arg.slice(2), args[++i] ?? "");
    } else {
      positional.push(arg);
    }
  }
  return { flags, positional };
}
