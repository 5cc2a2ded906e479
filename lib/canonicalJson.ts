/**
 * Canonical JSON: one text per value, so the root task's CONFIG (and anything hashed) only shows a
 * diff when the data changes, never because keys were written in another order.
 *
 * - object keys sorted recursively by UTF-16 code unit order (Array.prototype.sort's default);
 * - no whitespace; strings and numbers exactly as JSON.stringify writes them;
 * - object members whose value is undefined are dropped (as JSON.stringify does);
 * - everything JSON cannot represent faithfully throws, with the path to it: non-finite numbers,
 *   functions, symbols, bigints, undefined as an array element or as the whole value, cycles, and
 *   objects other than plain objects and arrays (a Map would otherwise silently become {}).
 *   A value with toJSON (Date) is replaced by its toJSON result first, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$", "", []);
}

function write(value: unknown, path: string, key: string, ancestors: object[]): string {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} at ${path} is not a finite number`);
      return JSON.stringify(value);
    case "undefined":
      throw new Error(`canonicalJson: undefined at ${path} has no JSON form`);
    case "function":
    case "symbol":
    case "bigint":
      throw new Error(`canonicalJson: a ${typeof value} at ${path} has no JSON form`);
  }
  if (value === null) return "null";
  const object = value as object;
  if (ancestors.includes(object)) throw new Error(`canonicalJson: circular reference at ${path}`);
  const inner = [...ancestors, object];
  if (Array.isArray(object)) {
    return `[${object.map((item, i) => write(item, `${path}[${i}]`, String(i), inner)).join(",")}]`;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (proto?.constructor as { name?: string } | undefined)?.name ?? "object";
    throw new Error(`canonicalJson: a ${kind} at ${path} is not a plain object`);
  }
  const members: string[] = [];
  for (const name of Object.keys(object).sort()) {
    const member = (object as Record<string, unknown>)[name];
    if (member === undefined) continue;
    const memberPath = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
    members.push(`${JSON.stringify(name)}:${write(member, memberPath, name, inner)}`);
  }
  return `{${members.join(",")}}`;
}
