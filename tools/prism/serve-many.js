// Prism's mock server for several OpenAPI documents in one Node.js process, each on a port of its own.
//
//     node serve-many.js HOST DOCUMENT...
//
// Starting `prism mock` costs about 2 s of CPU, nearly all of it Node.js loading Prism's modules; a test
// that calls 30 documents would spend a minute on it. This script loads the modules once and, for each
// document, does what `prism mock DOCUMENT` does (prism-cli's createServer.js): the same operations
// (getHttpOperationsFromSpec), the same configuration (requests validated, security checked, static
// examples, no --errors) and the same HTTP server (prism-http-server), listening on a free port.
// It leaves out only the CLI's log output and its json-schema-faker settings, which are global to the
// process and used by dynamic mode alone.
//
// Prints one JSON line per document, in order: {"document", "url"} or {"document", "error"} when Prism
// cannot serve it, then {"ready": true}. An uncaught error in a request handler ends the process, as it
// ends `prism mock`: the caller sees the connection closed and the process gone.
"use strict";

const { getHttpOperationsFromSpec } = require("@stoplight/prism-http");
const { createServer } = require("@stoplight/prism-http-server");
const { createLogger } = require("@stoplight/prism-core");

const CONFIG = {
  validateRequest: true,
  validateResponse: true,
  checkSecurity: true,
  errors: false,
  upstreamProxy: undefined,
  mock: { dynamic: false, ignoreExamples: false, seed: null },
  isProxy: false,
};

async function serve(host, document, logger) {
  const operations = await getHttpOperationsFromSpec(document);
  if (operations.length === 0) {
    throw new Error("No operations found in the current file.");
  }
  const server = createServer(operations, { cors: true, config: CONFIG, components: { logger } });
  return server.listen(0, host);
}

async function main() {
  const [host, ...documents] = process.argv.slice(2);
  const logger = createLogger("HTTP SERVER", { level: "silent" });
  for (const document of documents) {
    try {
      const url = await serve(host, document, logger);
      process.stdout.write(JSON.stringify({ document, url }) + "\n");
    } catch (error) {
      process.stdout.write(JSON.stringify({ document, error: String((error && error.message) || error) }) + "\n");
    }
  }
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
}

main();
