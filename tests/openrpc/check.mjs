// Checks the OpenRPC document a running node answers to rpc.discover:
//   1. it validates against the official OpenRPC meta-schema;
//   2. every schema in it compiles as JSON Schema (draft-07), with
//      `#/components/...` references resolved against the document;
//   3. methods called through the OpenRPC client answer results that
//      validate against their result schemas in the document.
// Each check prints a line (and why, when it fails); the counts go to the
// --report file as "PASSED FAILED".
//
// node check.mjs --api 127.0.0.1:PORT --token-file DATA/api-token \
//   --work DIR --report FILE

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { jsonSchema as jsonSchemaToolsMeta } from "@json-schema-tools/meta-schema";
import { Client, HTTPTransport, RequestManager } from "@open-rpc/client-js";
import { openrpcDocument as openrpcMetaSchema } from "@open-rpc/meta-schema";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const require = createRequire(import.meta.url);
const draft07 = require("ajv/dist/refs/json-schema-draft-07.json");
const metaSchemaVersion = require("@open-rpc/meta-schema/package.json").version;

const { values: args } = parseArgs({
    options: {
        api: { type: "string" },
        "token-file": { type: "string" },
        work: { type: "string" },
        report: { type: "string" },
    },
});
for (const name of ["api", "token-file", "work", "report"]) {
    if (!args[name]) {
        console.error(`check.mjs: --${name} is required`);
        process.exit(2);
    }
}

let passed = 0;
let failed = 0;

function report() {
    writeFileSync(args.report, `${passed} ${failed}\n`);
}

// Runs one check: it passes unless `fn` throws.
async function check(name, fn) {
    try {
        await fn();
        passed += 1;
        console.log(`ok   ${name}`);
    } catch (e) {
        failed += 1;
        console.log(`FAIL ${name}`);
        for (const line of String(e?.message ?? e).split("\n")) {
            console.log(`       ${line}`);
        }
    }
}

// Ajv errors as lines, at most `max` of them.
function describe(errors, max = 12) {
    const lines = [
        ...new Set(
            (errors ?? []).map((e) => {
                const extra = e.params?.additionalProperty
                    ? ` (${e.params.additionalProperty})`
                    : e.params?.allowedValues
                      ? ` (${e.params.allowedValues.join(", ")})`
                      : "";
                return `${e.instancePath || "/"}: ${e.message}${extra}`;
            }),
        ),
    ];
    const more = lines.length > max ? [`... and ${lines.length - max} more`] : [];
    return [...lines.slice(0, max), ...more].join("\n");
}

const escapePointer = (s) => s.replaceAll("~", "~0").replaceAll("/", "~1");

// --- 1. The OpenRPC meta-schema -------------------------------------------

// The meta-schema declares `$schema: https://meta.json-schema.tools/` and
// validates each schema in a document against that meta-schema (the npm
// package @json-schema-tools/meta-schema), which is draft-07's vocabulary
// under its own id: so Ajv's draft-07 class. Neither is written for Ajv's
// strict mode (`additionalItems` beside a single `items` schema).
function metaSchemaValidator() {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addMetaSchema(jsonSchemaToolsMeta);
    // The OpenRPC meta-schema refers to it both with and without the
    // trailing slash of its $id; Ajv looks ids up as written.
    const id = jsonSchemaToolsMeta.$id;
    ajv.addSchema({ $id: id.replace(/\/$/, ""), $ref: id });
    return ajv.compile(openrpcMetaSchema);
}

// --- 2. Compiling the document's schemas ----------------------------------

// Where the document is registered: OpenRPC resolves `#/...` in any of its
// schemas against the document, so each schema is compiled as a fragment
// of it.
const DOC_ID = "https://ferry.invalid/rpc.discover";

// schemars' integer and float formats, with the ranges they stand for.
const NUMBER_FORMATS = {
    int8: [-(2 ** 7), 2 ** 7 - 1],
    int16: [-(2 ** 15), 2 ** 15 - 1],
    int32: [-(2 ** 31), 2 ** 31 - 1],
    int64: [-(2 ** 63), 2 ** 63 - 1],
    int: [-(2 ** 63), 2 ** 63 - 1],
    uint8: [0, 2 ** 8 - 1],
    uint16: [0, 2 ** 16 - 1],
    uint32: [0, 2 ** 32 - 1],
    uint64: [0, 2 ** 64 - 1],
    uint: [0, 2 ** 64 - 1],
    float: [-Number.MAX_VALUE, Number.MAX_VALUE],
    double: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

// A strict Ajv (unknown keywords and formats are errors) that holds `doc`.
function documentAjv(doc) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    for (const [name, [min, max]] of Object.entries(NUMBER_FORMATS)) {
        ajv.addFormat(name, { type: "number", validate: (n) => n >= min && n <= max });
    }
    // The document's own top-level fields, so that Ajv takes it as a
    // schema resource without validating anything by them. Its `$schema`,
    // if any, names the OpenRPC meta-schema, not a JSON Schema dialect.
    const { $schema: _, ...resource } = doc;
    for (const field of Object.keys(resource)) {
        if (!ajv.getKeyword(field)) ajv.addKeyword(field);
    }
    ajv.addSchema(resource, DOC_ID);
    return ajv;
}

// Every schema of the document: [name, JSON pointer].
function schemaSites(doc) {
    const sites = [];
    (doc.methods ?? []).forEach((m, i) => {
        (m.params ?? []).forEach((p, j) => {
            sites.push([`methods[${m.name}].params.${p.name}`, `/methods/${i}/params/${j}/schema`]);
        });
        sites.push([`methods[${m.name}].result`, `/methods/${i}/result/schema`]);
    });
    for (const name of Object.keys(doc.components?.schemas ?? {})) {
        sites.push([`components.schemas.${name}`, `/components/schemas/${escapePointer(name)}`]);
    }
    return sites;
}

function resolvePointer(doc, pointer) {
    return pointer
        .split("/")
        .slice(1)
        .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
        .reduce((node, key) => node?.[key], doc);
}

// Validates one schema against draft-07's meta-schema and compiles it;
// returns its validate function, or throws naming what is wrong.
function compileSite(ajv, doc, name, pointer) {
    const schema = resolvePointer(doc, pointer);
    if (schema === undefined) throw new Error(`${name}: no schema at #${pointer}`);
    if (!ajv.validateSchema(schema)) {
        throw new Error(`${name} (#${pointer}) is not a valid draft-07 schema:\n${describe(ajv.errors)}`);
    }
    let validate;
    try {
        validate = ajv.getSchema(`${DOC_ID}#${pointer}`);
    } catch (e) {
        throw new Error(`${name} (#${pointer}) does not compile: ${e.message}`);
    }
    if (!validate) throw new Error(`${name} (#${pointer}) does not compile`);
    return validate;
}

// The names of the schemas of `doc` that do not compile.
function brokenSchemas(doc) {
    const ajv = documentAjv(doc);
    return schemaSites(doc).flatMap(([name, pointer]) => {
        try {
            compileSite(ajv, doc, name, pointer);
            return [];
        } catch {
            return [name];
        }
    });
}

// --- 3. Calls through the OpenRPC client ----------------------------------

const token = readFileSync(args["token-file"], "utf8").trim();
const TIMEOUT_MS = 15_000;
// Each request is bounded by its fetch: the client's own timeout leaves
// its timer running after the answer, which keeps the process alive.
const client = new Client(
    new RequestManager([
        new HTTPTransport(`http://${args.api}/rpc`, {
            headers: { Authorization: `Bearer ${token}` },
            fetcher: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) }),
        }),
    ]),
);

async function main() {
    let doc;
    // The client's own default: no params given (it sends an empty array).
    await check("rpc.discover answers a document through @open-rpc/client-js", async () => {
        doc = await client.request({ method: "rpc.discover" });
        if (typeof doc !== "object" || doc === null || !Array.isArray(doc.methods)) {
            throw new Error(`not an OpenRPC document: ${JSON.stringify(doc)?.slice(0, 200)}`);
        }
    });
    if (!doc) return;

    // 1. The meta-schema.
    await check("the OpenRPC meta-schema's JSON Schema dialect has draft-07's keywords", () => {
        const theirs = Object.keys(jsonSchemaToolsMeta.definitions.JSONSchemaObject.properties).sort();
        const ours = Object.keys(draft07.properties).sort();
        if (theirs.join() !== ours.join()) {
            throw new Error(`${jsonSchemaToolsMeta.$id}: ${theirs.join(", ")}\ndraft-07: ${ours.join(", ")}`);
        }
    });
    const validateDocument = metaSchemaValidator();
    await check(`the document is valid OpenRPC ${doc.openrpc} (@open-rpc/meta-schema ${metaSchemaVersion})`, () => {
        if (!validateDocument(doc)) throw new Error(describe(validateDocument.errors));
    });
    await check("the meta-schema rejects a copy whose components.errors is an array", () => {
        const copy = structuredClone(doc);
        copy.components.errors = Object.values(copy.components.errors ?? {});
        if (validateDocument(copy)) throw new Error("accepted");
        if (!validateDocument.errors.some((e) => e.instancePath === "/components/errors")) {
            throw new Error(`rejected for other reasons:\n${describe(validateDocument.errors)}`);
        }
    });
    await check("the meta-schema rejects a copy with an unknown type in a result schema", () => {
        const copy = structuredClone(doc);
        copy.methods[0].result.schema = { type: "strng" };
        if (validateDocument(copy)) throw new Error("accepted");
    });

    // 2. Every schema compiles.
    const ajv = documentAjv(doc);
    for (const [name, pointer] of schemaSites(doc)) {
        await check(`schema ${name} compiles`, () => compileSite(ajv, doc, name, pointer));
    }
    await check("a copy without components.schemas.Device fails to compile where it is used", () => {
        const copy = structuredClone(doc);
        delete copy.components.schemas.Device;
        const broken = brokenSchemas(copy);
        if (!broken.includes("methods[devices.list].result")) {
            throw new Error(`not reported: ${broken.join(", ") || "nothing"}`);
        }
    });

    // 3. Calls, each checked against the document.
    const methods = new Map(doc.methods.map((m, i) => [m.name, { method: m, index: i }]));
    async function call(name, params) {
        const entry = methods.get(name);
        if (!entry) throw new Error(`${name} is not in the document`);
        const { method, index } = entry;
        const given = params ?? {};
        const known = new Map(method.params.map((p, j) => [p.name, j]));
        for (const p of method.params) {
            if (p.required && !(p.name in given)) throw new Error(`required param ${p.name} not given`);
        }
        for (const [key, value] of Object.entries(given)) {
            if (!known.has(key)) throw new Error(`param ${key} is not in the document`);
            const validate = ajv.getSchema(`${DOC_ID}#/methods/${index}/params/${known.get(key)}/schema`);
            if (!validate(value)) {
                throw new Error(`param ${key} does not match its schema:\n${describe(validate.errors)}`);
            }
        }
        // By name, as the document's paramStructure says, and `{}` for none
        // (the client's own default for no params, `[]`, is answered too:
        // see rpc.discover above).
        const result = await client.request({ method: name, params: given });
        const validate = ajv.getSchema(`${DOC_ID}#/methods/${index}/result/schema`);
        if (!validate(result)) {
            throw new Error(
                `result does not match its schema:\n${describe(validate.errors)}\n` +
                    `result: ${JSON.stringify(result).slice(0, 500)}`,
            );
        }
        return result;
    }
    const results = {};
    async function checkCall(name, params) {
        const label = params === undefined ? name : `${name} ${JSON.stringify(params)}`;
        await check(`${label} answers a result that matches its schema`, async () => {
            results[name] = await call(name, params);
        });
    }

    const folder = join(args.work, "collection");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "hello.txt"), "hello from the OpenRPC check\n");

    await checkCall("node.info");
    await checkCall("node.settings");
    await checkCall("devices.list");
    await checkCall("devices.status");
    await checkCall("network.doctor");
    await checkCall("transfers.list");
    await checkCall("transfers.history", { limit: 10 });
    await checkCall("transfers.outbox");
    await checkCall("collections.invites");
    await checkCall("collections.create", { name: "openrpc", dir: folder });
    await checkCall("collections.list");
    await checkCall("collections.status", { name: "openrpc" });
    await checkCall("collections.files", { name: "openrpc" });
    await checkCall("collections.history", { name: "openrpc", path: "hello.txt" });
    await checkCall("collections.set_keep", {
        name: "openrpc",
        keep: { days: 14, max_percent: 5, max_bytes: null },
    });

    await check("collections.list and collections.files answer what was created", () => {
        const names = (results["collections.list"] ?? []).map((c) => c.name);
        if (!names.includes("openrpc")) throw new Error(`collections: ${JSON.stringify(names)}`);
        const files = JSON.stringify(results["collections.files"] ?? []);
        if (!files.includes("hello.txt")) throw new Error(`files: ${files.slice(0, 300)}`);
    });
    await check("node.info's schema rejects its result without `id`", () => {
        const info = results["node.info"];
        if (!info) throw new Error("no node.info result");
        const validate = ajv.getSchema(`${DOC_ID}#/methods/${methods.get("node.info").index}/result/schema`);
        if (!validate(info)) throw new Error(`the real result fails:\n${describe(validate.errors)}`);
        const { id: _, ...rest } = info;
        if (validate(rest)) throw new Error("accepted without id");
    });
}

try {
    await main();
} catch (e) {
    failed += 1;
    console.log(`FAIL the checks stopped: ${e?.stack ?? e}`);
} finally {
    client.close();
    report();
    process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
