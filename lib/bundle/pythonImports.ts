/**
 * Which local Python files a task needs: its entrypoint plus every module of the code folder it
 * imports, directly or through other local modules. The bundle (and its hash) then changes exactly
 * when code the task can run changes, and not when an unrelated task's module does.
 *
 * The imports come from CPython's own parser (`ast`), run once per plan over the whole code folder by
 * build/pythonSources.ts (lib/ spawns no process). A real parser rather than a scanner: it sees every
 * import statement wherever it is (in a function, under try/if), never one inside a string, and it
 * reports syntax errors exactly as Python will. This module is the pure part: given the parsed files,
 * it resolves imports to files the way Python's import system does for a folder on sys.path.
 * Imports are taken as written, including conditional ones: a module that may be imported is shipped.
 * Dynamic imports (importlib.import_module, __import__) are not seen; `from pkg import *` adds the
 * package itself only.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";

export interface PythonImport {
  /** Dotted module as written after `import` or `from` (without leading dots); "" for `from . import x`. */
  module: string;
  /** Number of leading dots: 0 for an absolute import. */
  level: number;
  /** Names after `from … import` (original names, not aliases; "*" for a star import); [] for `import`. */
  names: string[];
  /** 1-based line of the statement. */
  line: number;
}

/** A function's parameters, as far as a positional call is concerned. */
export interface FunctionParams {
  /** Positional parameters (positional-only and ordinary), in order. */
  positional: string[];
  /** How many of them (the last ones) have defaults. */
  defaults: number;
  /** Has *args. */
  varargs: boolean;
  /** Keyword-only parameters without a default (a positional call cannot fill them). */
  kwonlyRequired: string[];
}

/** One parsed file (build/python_sources.py). */
export interface PythonFile {
  imports: PythonImport[];
  /** Top-level functions (def and async def) with their lines and parameters. */
  functions: { name: string; line: number; params?: FunctionParams }[];
  /** Every name bound at module level. */
  names: string[];
  /** The module may bind names not visible in its source (star import, module __getattr__, globals()). */
  openNames: boolean;
  /** Why the file does not compile, or null. */
  error: { line: number; message: string } | null;
}

/** Every .py file of a code folder, parsed; keys are POSIX paths relative to the folder. */
export interface PythonSources {
  /** Version of the interpreter that parsed them, e.g. "3.11.7". */
  python: string;
  /** Its top-level standard-library module names (sys.stdlib_module_names). */
  stdlib: string[];
  files: Record<string, PythonFile>;
}

/** An import that names a local package or module that is not there. */
export interface UnresolvedImport {
  /** File (relative to the code folder) and line of the import. */
  file: string;
  line: number;
  /** The statement, as it reads: `import a.b` or `from a import b`. */
  statement: string;
  /** The dotted module that is missing, and the files that would have provided it. */
  missing: string;
  expected: string[];
  /** Set when the missing part is a name `from pkg import name` expected in pkg's module. */
  definedIn?: string;
}

export interface ModuleClosure {
  /** Sorted POSIX paths relative to the code folder. */
  files: string[];
  unresolved: UnresolvedImport[];
  /** Absolute imports that are not local (the standard library, snowflake, pandas…). */
  external: { module: string; names: string[]; file: string; line: number }[];
}

type Kind = "package" | "namespace" | "module";

/** Folders holding .py files, computed once per parsed tree: every task of a plan resolves against it. */
const directoryCache = new WeakMap<PythonSources, Set<string>>();
function directoriesOf(sources: PythonSources): Set<string> {
  let dirs = directoryCache.get(sources);
  if (dirs === undefined) {
    dirs = new Set<string>();
    for (const file of Object.keys(sources.files)) {
      const parts = file.split("/");
      for (let k = 1; k < parts.length; k++) dirs.add(parts.slice(0, k).join("/"));
    }
    directoryCache.set(sources, dirs);
  }
  return dirs;
}

function statement(imp: PythonImport): string {
  const from = `${".".repeat(imp.level)}${imp.module}`;
  return imp.names.length === 0 ? `import ${imp.module}` : `from ${from} import ${imp.names.join(", ")}`;
}

/**
 * The entrypoint and the local modules it imports, directly or transitively, with the __init__.py of
 * every package on the way, plus what could not be resolved. Module a.b is a/b/__init__.py (a package,
 * which Python prefers) or a/b.py; a folder without __init__.py is a namespace package. An import whose
 * first name is not in the code folder is external. An import whose first name is local but whose
 * rest is missing is unresolved: Python would raise ModuleNotFoundError (or ImportError for a name).
 */
export function resolveClosure(codeRoot: string, entrypoint: string, sources: PythonSources): ModuleClosure {
  const root = resolve(codeRoot);
  const entryPath = resolve(root, entrypoint);
  const entryRel = relative(root, entryPath);
  if (entryRel === "" || entryRel === ".." || entryRel.startsWith(`..${sep}`) || isAbsolute(entryRel)) {
    throw new Error(`entrypoint ${entrypoint} is outside the code root ${root}`);
  }
  const entryPosix = entryRel.split(sep).join("/");
  if (sources.files[entryPosix] === undefined) throw new Error(`entrypoint ${entrypoint} does not exist: no file ${entryPath}`);

  const dirs = directoriesOf(sources);
  const fileAt = (rel: string) => sources.files[rel] !== undefined;

  const included = new Set<string>();
  const queue: string[] = [];
  const include = (rel: string) => {
    if (included.has(rel)) return;
    included.add(rel);
    queue.push(rel);
  };
  const unresolved: UnresolvedImport[] = [];
  const external: ModuleClosure["external"] = [];

  /** Includes module `parts` and its packages; how far it resolved, and what the full name is. */
  const resolveModule = (parts: string[]): { resolved: number; kind?: Kind } => {
    let kind: Kind | undefined;
    for (let k = 1; k <= parts.length; k++) {
      if (kind === "module") return { resolved: k - 1, kind }; // a module file has no submodules
      const path = parts.slice(0, k).join("/");
      if (fileAt(`${path}/__init__.py`)) {
        include(`${path}/__init__.py`);
        kind = "package";
      } else if (fileAt(`${path}.py`)) {
        include(`${path}.py`);
        kind = "module";
      } else if (dirs.has(path)) {
        kind = "namespace";
      } else {
        return { resolved: k - 1, kind };
      }
    }
    return { resolved: parts.length, kind };
  };
  const candidates = (parts: string[]) => [`${parts.join("/")}.py`, `${parts.join("/")}/__init__.py`];
  const moduleFile = (parts: string[], kind: Kind | undefined) =>
    kind === "package" ? `${parts.join("/")}/__init__.py` : kind === "module" ? `${parts.join("/")}.py` : undefined;

  include(entryPosix);
  const entryDirs = entryPosix.split("/").slice(0, -1);
  for (let k = 1; k <= entryDirs.length; k++) {
    const init = `${entryDirs.slice(0, k).join("/")}/__init__.py`;
    if (fileAt(init)) include(init);
  }

  while (queue.length > 0) {
    const file = queue.shift()!;
    const parsed = sources.files[file];
    const parts = file.replace(/\.py$/, "").split("/");
    // The package a relative import starts from: a/b/c.py and a/b/__init__.py both resolve "." to a.b.
    const pkg = parts.slice(0, -1);
    for (const imp of parsed.imports) {
      let base: string[] = [];
      if (imp.level > 0) {
        if (imp.level > pkg.length) {
          throw new Error(`${file}:${imp.line}: relative import "from ${".".repeat(imp.level)}${imp.module} import …" goes beyond the top-level package`);
        }
        base = pkg.slice(0, pkg.length - (imp.level - 1));
      }
      const target = [...base, ...(imp.module === "" ? [] : imp.module.split("."))];
      const { resolved, kind } = resolveModule(target);
      if (imp.level === 0 && resolved === 0) {
        external.push({ module: imp.module, names: imp.names, file, line: imp.line });
        continue;
      }
      if (resolved < target.length) {
        const missing = target.slice(0, resolved + 1);
        unresolved.push({ file, line: imp.line, statement: statement(imp), missing: missing.join("."), expected: candidates(missing) });
        continue;
      }
      if (imp.names.length === 0) continue;
      for (const name of imp.names) {
        if (name === "*") continue;
        // `from a import b`: the submodule a.b if there is one, else a name a's module binds.
        const sub = kind === "module" ? { resolved: 0 } : resolveModule([...target, name]);
        if (sub.resolved === target.length + 1) continue;
        const definedIn = moduleFile(target, kind);
        const own = definedIn === undefined ? undefined : sources.files[definedIn];
        if (own !== undefined && (own.openNames || own.error !== null || own.names.includes(name))) continue;
        unresolved.push({
          file,
          line: imp.line,
          statement: statement(imp),
          missing: [...target, name].join("."),
          expected: kind === "module" ? [] : candidates([...target, name]),
          definedIn,
        });
      }
    }
  }
  return { files: [...included].sort(), unresolved, external };
}

/** The files a task's bundle holds: resolveClosure's files (sorted POSIX paths relative to codeRoot). */
export function localModuleClosure(codeRoot: string, entrypoint: string, sources: PythonSources): string[] {
  return resolveClosure(codeRoot, entrypoint, sources).files;
}
