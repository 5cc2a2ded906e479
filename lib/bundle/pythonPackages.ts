/**
 * Which modules a pipeline's `packages` make importable in a task procedure, for the plan's warning
 * about third-party imports that no listed package provides. A package provides its own modules and,
 * transitively, those of the packages it requires, since Snowflake installs a package's dependencies
 * with it (https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-packages).
 */

/** Import names of distributions whose name does not say them; others import as their name with - -> _. */
const MODULES: Record<string, string[]> = {
  "snowflake-snowpark-python": ["snowflake.snowpark"],
  "snowflake-ml-python": ["snowflake.ml", "snowflake.cortex"],
  "snowflake-connector-python": ["snowflake.connector"],
  "snowflake-core": ["snowflake.core"],
  snowflake: ["snowflake.core"],
  "scikit-learn": ["sklearn"],
  pyyaml: ["yaml"],
  "python-dateutil": ["dateutil"],
  protobuf: ["google.protobuf"],
  pyjwt: ["jwt"],
  pillow: ["PIL"],
  beautifulsoup4: ["bs4"],
  "opencv-python": ["cv2"],
};

/**
 * Requirements (Requires-Dist without extras) of the packages most pipelines list, from
 * snowflake-ml-python 1.48.0 and snowflake-snowpark-python 1.54.0.
 */
const REQUIRES: Record<string, string[]> = {
  "snowflake-ml-python": [
    "anyio", "cachetools", "cloudpickle", "cryptography", "fsspec", "h2", "importlib-resources", "jinja2", "numpy",
    "packaging", "pandas", "platformdirs", "pyarrow", "pydantic", "pyjwt", "pytimeparse", "pyyaml", "retrying",
    "scikit-learn", "scipy", "shap", "snowflake-connector-python", "snowflake-snowpark-python", "sqlparse", "tqdm",
    "typing-extensions", "xgboost",
  ],
  "snowflake-snowpark-python": [
    "setuptools", "wheel", "snowflake-connector-python", "typing-extensions", "pyyaml", "cloudpickle", "protobuf",
    "python-dateutil", "tzlocal",
  ],
};

/** `XGBoost==2.1.4` -> `xgboost` (PEP 503 normalized, version dropped). */
export function distributionName(spec: string): string {
  return spec.split(/[<>=!~\s[]/)[0].toLowerCase().replace(/[-_.]+/g, "-");
}

/** Dotted module prefixes importable with `packages`, sorted. */
export function providedModules(packages: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = packages.map(distributionName);
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(REQUIRES[name] ?? []));
  }
  return [...new Set([...seen].flatMap((name) => MODULES[name] ?? [name.replace(/-/g, "_")]))].sort();
}
