/**
 * Which local Python files a task needs: its entrypoint plus every module of pipeline-code/ it
 * imports, directly or through other local modules. The bundle (and its hash) then changes exactly
 * when code the task can run changes, and not when an unrelated task's module does.
 *
 * This is a scanner, not a parser: a small tokenizer skips comments and string literals (all prefixes,
 * triple quotes, f-strings with nested quotes in replacement fields) and tracks bracket depth, so
 * only real import statements are seen, wherever they are (indented in a function, after `try:` or
 * `if …:` on the same line, after `;`, across backslash or bracket continuations). Imports are taken
 * as written, including conditional ones: a module that may be imported is shipped. Dynamic imports
 * (importlib.import_module, __import__) are not seen; `from pkg import *` adds the package itself only.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";

export interface PythonImport {
  /** Dotted module as written after `import` or `from` (without leading dots); "" for `from . import x`. */
  module: string;
  /** Number of leading dots: 0 for an absolute import. */
  level: number;
  /** Names after `from … import` (original names, not aliases; "*" for a star import); [] for `import`. */
  names: string[];
  /** 1-based line of the `import` or `from` keyword. */
  line: number;
}

interface Token {
  kind: "name" | "op" | "newline";
  value: string;
  line: number;
  /** Bracket depth before this token. */
  depth: number;
}

const NAME_START = /[\p{L}\p{Nl}_]/u;
const NAME_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;
const STRING_PREFIXES = new Set(["r", "u", "b", "f", "t", "br", "rb", "fr", "rf", "tr", "rt"]);

class Scanner {
  pos = 0;
  line = 1;
  constructor(readonly src: string) {}

  /** Reads an identifier at pos (which must start one). */
  name(): string {
    const start = this.pos;
    this.pos += this.src.codePointAt(this.pos)! > 0xffff ? 2 : 1;
    while (this.pos < this.src.length) {
      const ch = String.fromCodePoint(this.src.codePointAt(this.pos)!);
      if (!NAME_PART.test(ch)) break;
      this.pos += ch.length;
    }
    return this.src.slice(start, this.pos);
  }

  /** Skips a string literal whose opening quote is at pos. */
  string(prefix: string): void {
    const src = this.src;
    const quote = src[this.pos];
    const triple = src.startsWith(quote.repeat(3), this.pos);
    const formatted = /[ft]/i.test(prefix);
    this.pos += triple ? 3 : 1;
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === "\\") {
        // Even in a raw string a backslash keeps the next quote from ending the literal.
        if (src[this.pos + 1] === "\n") this.line++;
        this.pos += 2;
      } else if (triple ? src.startsWith(quote.repeat(3), this.pos) : ch === quote) {
        this.pos += triple ? 3 : 1;
        return;
      } else if (ch === "\n" && !triple) {
        return; // unterminated: stop before the line end rather than swallow the file
      } else if (ch === "\n") {
        this.line++;
        this.pos++;
      } else if (formatted && ch === "{") {
        if (src[this.pos + 1] === "{") this.pos += 2;
        else {
          this.pos++;
          this.replacementField();
        }
      } else {
        this.pos++;
      }
    }
  }

  /** Skips an f-string replacement field after its "{", through its closing "}". */
  replacementField(): void {
    const src = this.src;
    let depth = 0;
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === "'" || ch === '"') {
        this.string("");
      } else if (NAME_START.test(ch)) {
        const word = this.name();
        if (STRING_PREFIXES.has(word.toLowerCase()) && (src[this.pos] === "'" || src[this.pos] === '"')) this.string(word);
      } else if (ch === "(" || ch === "[" || ch === "{") {
        depth++;
        this.pos++;
      } else if (ch === ")" || ch === "]") {
        depth--;
        this.pos++;
      } else if (ch === "}") {
        this.pos++;
        if (depth === 0) return;
        depth--;
      } else if (ch === ":" && depth === 0) {
        this.pos++;
        this.formatSpec();
        return;
      } else {
        if (ch === "\n") this.line++;
        this.pos++;
      }
    }
  }

  /** Skips a format spec (after ":" in a replacement field) through the field's closing "}". */
  formatSpec(): void {
    const src = this.src;
    while (this.pos < src.length) {
      const ch = src[this.pos++];
      if (ch === "}") return;
      if (ch === "{") this.replacementField();
      else if (ch === "\n") this.line++;
    }
  }
}

function tokenize(source: string): Token[] {
  const s = new Scanner(source.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n"));
  const src = s.src;
  const tokens: Token[] = [];
  let depth = 0;
  const push = (kind: Token["kind"], value: string, line = s.line) => tokens.push({ kind, value, line, depth });
  while (s.pos < src.length) {
    const ch = src[s.pos];
    if (ch === " " || ch === "\t" || ch === "\f") {
      s.pos++;
    } else if (ch === "\\" && src[s.pos + 1] === "\n") {
      s.pos += 2;
      s.line++;
    } else if (ch === "\n") {
      if (depth === 0) push("newline", "\n");
      s.pos++;
      s.line++;
    } else if (ch === "#") {
      const end = src.indexOf("\n", s.pos);
      s.pos = end < 0 ? src.length : end;
    } else if (ch === "'" || ch === '"') {
      s.string("");
    } else if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(src[s.pos + 1] ?? ""))) {
      s.pos++;
      while (s.pos < src.length && /[0-9A-Za-z_.]/.test(src[s.pos])) s.pos++;
    } else if (NAME_START.test(String.fromCodePoint(src.codePointAt(s.pos)!))) {
      const line = s.line;
      const word = s.name();
      if (STRING_PREFIXES.has(word.toLowerCase()) && (src[s.pos] === "'" || src[s.pos] === '"')) s.string(word);
      else push("name", word, line);
    } else {
      if (ch === "(" || ch === "[" || ch === "{") {
        push("op", ch);
        depth++;
      } else if (ch === ")" || ch === "]" || ch === "}") {
        depth = Math.max(0, depth - 1);
        push("op", ch);
      } else {
        push("op", ch);
      }
      s.pos++;
    }
  }
  return tokens;
}

/** Every import statement in a Python source, in order. */
export function findImports(source: string): PythonImport[] {
  const tokens = tokenize(source);
  const imports: PythonImport[] = [];
  let atStatementStart = true;
  let i = 0;
  const isEnd = (t: Token | undefined) => t === undefined || t.kind === "newline" || (t.value === ";" && t.depth === 0);

  const dotted = (): string | undefined => {
    if (tokens[i]?.kind !== "name" || tokens[i].value === "import") return undefined;
    const parts = [tokens[i++].value];
    while (tokens[i]?.value === "." && tokens[i + 1]?.kind === "name") {
      parts.push(tokens[i + 1].value);
      i += 2;
    }
    return parts.join(".");
  };
  const skipAlias = () => {
    if (tokens[i]?.kind === "name" && tokens[i].value === "as" && tokens[i + 1]?.kind === "name") i += 2;
  };

  while (i < tokens.length) {
    const token = tokens[i];
    if (atStatementStart && token.kind === "name" && token.depth === 0 && (token.value === "import" || token.value === "from")) {
      i++;
      if (token.value === "import") {
        while (!isEnd(tokens[i])) {
          const module = dotted();
          if (module === undefined) break;
          imports.push({ module, level: 0, names: [], line: token.line });
          skipAlias();
          if (tokens[i]?.value !== ",") break;
          i++;
        }
      } else {
        let level = 0;
        while (tokens[i]?.value === ".") {
          level++;
          i++;
        }
        const module = dotted() ?? "";
        if ((level > 0 || module !== "") && tokens[i]?.kind === "name" && tokens[i].value === "import") {
          i++;
          const names: string[] = [];
          const parenthesized = tokens[i]?.value === "(";
          if (parenthesized) i++;
          while (i < tokens.length && !(parenthesized ? tokens[i].value === ")" : isEnd(tokens[i]))) {
            const t = tokens[i];
            if (t.value === "*") {
              names.push("*");
              i++;
            } else if (t.kind === "name") {
              names.push(t.value);
              i++;
              skipAlias();
            } else if (t.value === ",") {
              i++;
            } else {
              break;
            }
          }
          imports.push({ module, level, names, line: token.line });
        }
      }
      // Skip the rest of a malformed statement.
      while (!isEnd(tokens[i]) && !(tokens[i].value === ")" && tokens[i].depth === 0)) i++;
      if (tokens[i]?.value === ")") i++;
      atStatementStart = false;
      continue;
    }
    // A statement starts at a line start, after ";" and after the ":" of a compound statement
    // header (`try: import x`), all outside brackets.
    atStatementStart = token.kind === "newline" || (token.depth === 0 && (token.value === ";" || token.value === ":"));
    i++;
  }
  return imports;
}

/**
 * The entrypoint and the local modules it imports, directly or transitively, with the __init__.py of
 * every package on the way: sorted POSIX paths relative to codeRoot. Module a.b is a/b/__init__.py
 * (a package, which Python prefers) or a/b.py; a folder without __init__.py is a namespace package.
 * Imports that resolve to nothing under codeRoot (the standard library, snowflake, pandas…) are left out.
 */
export function localModuleClosure(codeRoot: string, entrypoint: string): string[] {
  const root = resolve(codeRoot);
  const entryPath = resolve(root, entrypoint);
  const entryRel = relative(root, entryPath);
  if (entryRel === "" || entryRel === ".." || entryRel.startsWith(`..${sep}`) || isAbsolute(entryRel)) {
    throw new Error(`entrypoint ${entrypoint} is outside the code root ${root}`);
  }
  if (!isFile(entryPath)) throw new Error(`entrypoint ${entrypoint} does not exist: no file ${entryPath}`);

  const included = new Set<string>();
  const queue: string[] = [];
  const include = (rel: string) => {
    if (included.has(rel)) return;
    included.add(rel);
    queue.push(rel);
  };
  const fileAt = (rel: string) => isFile(resolve(root, rel));
  const dirAt = (rel: string) => isDirectory(resolve(root, rel));

  /** Includes module parts (and its packages); returns what the full name is, or undefined if not local. */
  const resolveModule = (parts: string[]): "package" | "namespace" | "module" | undefined => {
    let kind: "package" | "namespace" | "module" | undefined;
    for (let k = 1; k <= parts.length; k++) {
      if (kind === "module") return undefined; // a module file has no submodules
      const path = parts.slice(0, k).join("/");
      if (fileAt(`${path}/__init__.py`)) {
        include(`${path}/__init__.py`);
        kind = "package";
      } else if (fileAt(`${path}.py`)) {
        include(`${path}.py`);
        kind = "module";
      } else if (dirAt(path)) {
        kind = "namespace";
      } else {
        return undefined;
      }
    }
    return kind;
  };

  const entryPosix = entryRel.split(sep).join("/");
  include(entryPosix);
  const entryDirs = entryPosix.split("/").slice(0, -1);
  for (let k = 1; k <= entryDirs.length; k++) {
    const init = `${entryDirs.slice(0, k).join("/")}/__init__.py`;
    if (fileAt(init)) include(init);
  }

  while (queue.length > 0) {
    const file = queue.shift()!;
    const parts = file.replace(/\.py$/, "").split("/");
    // The package a relative import starts from: a/b/c.py and a/b/__init__.py both resolve "." to a.b.
    const pkg = parts.slice(0, -1);
    for (const imp of findImports(readFileSync(resolve(root, file), "utf8"))) {
      let base: string[] = [];
      if (imp.level > 0) {
        if (imp.level > pkg.length) {
          throw new Error(
            `${file}:${imp.line}: relative import "from ${".".repeat(imp.level)}${imp.module} import …" goes beyond the top-level package`,
          );
        }
        base = pkg.slice(0, pkg.length - (imp.level - 1));
      }
      const target = [...base, ...(imp.module === "" ? [] : imp.module.split("."))];
      const kind = resolveModule(target);
      if ((kind === "package" || kind === "namespace") && imp.names.length > 0) {
        for (const name of imp.names) if (name !== "*") resolveModule([...target, name]);
      }
    }
  }
  return [...included].sort();
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
