#!/usr/bin/env node
// VS Code's own JSONC parser (npm jsonc-parser 3.x) as an oracle for goenv's settings.json
// editor. Reads like VS Code reads settings.json: a leading BOM is dropped, comments and
// trailing commas are allowed.
//
//   node jsonc_oracle.js FILE      one result for FILE
//   node jsonc_oracle.js --batch   a JSON array of texts on stdin, an array of results out
//
// A result: {version, errors: [{code, offset, length}], hasValue, value, props}. `props` lists
// the top-level members as VS Code's parse tree sees them, one level deep: {key, offset,
// length, valueOffset, valueLength, props?}. Offsets are UTF-8 byte offsets into the input
// (BOM included), so Rust can slice with them.
//
// The package is taken from $JSONC_PARSER_MODULE (a path to the package directory) if set,
// else resolved from this file's directory. Missing package or bad input: exit 2, no output.
'use strict';
const fs = require('fs');

function fail(message) {
    process.stderr.write(`jsonc_oracle.js: ${message}\n`);
    process.exit(2);
}

let jsonc, version;
try {
    const where = process.env.JSONC_PARSER_MODULE || 'jsonc-parser';
    jsonc = require(where);
    version = require(`${where}/package.json`).version;
} catch (e) {
    fail(`cannot load the npm package jsonc-parser (${e.message}); install it with the fixtures script`);
}
if (!/^3\./.test(version)) fail(`need jsonc-parser 3.x, found ${version}`);

const OPTIONS = { allowTrailingComma: true, disallowComments: false };

function examine(text) {
    const bom = text.startsWith('\ufeff') ? 1 : 0;
    const body = text.slice(bom);
    const base = bom ? 3 : 0; // the BOM is 3 bytes in UTF-8
    const bytes = (offset) => base + Buffer.byteLength(body.slice(0, offset), 'utf8');
    const span = (offset, length) => [bytes(offset), bytes(offset + length) - bytes(offset)];

    const parseErrors = [];
    const value = jsonc.parse(body, parseErrors, OPTIONS);
    const errors = parseErrors.map((e) => {
        const [offset, length] = span(e.offset, e.length);
        return { code: jsonc.printParseErrorCode(e.error), offset, length };
    });

    const members = (node) =>
        (node && node.type === 'object' ? node.children || [] : []).map((prop) => {
            const [keyNode, valueNode] = prop.children || [];
            const [offset, length] = span(prop.offset, prop.length);
            const out = { key: keyNode ? keyNode.value : null, offset, length };
            if (valueNode) {
                [out.valueOffset, out.valueLength] = span(valueNode.offset, valueNode.length);
                if (valueNode.type === 'object') out.props = members(valueNode);
            }
            return out;
        });
    const tree = jsonc.parseTree(body, [], OPTIONS);

    return {
        version,
        errors,
        hasValue: value !== undefined,
        value: value === undefined ? null : value,
        props: members(tree),
    };
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--batch') {
    let texts;
    try {
        texts = JSON.parse(fs.readFileSync(0, 'utf8'));
    } catch (e) {
        fail(`stdin is not a JSON array of strings: ${e.message}`);
    }
    if (!Array.isArray(texts)) fail('stdin is not a JSON array of strings');
    process.stdout.write(JSON.stringify(texts.map(examine)));
} else if (args.length === 1) {
    let text;
    try {
        text = fs.readFileSync(args[0], 'utf8');
    } catch (e) {
        fail(e.message);
    }
    process.stdout.write(JSON.stringify(examine(text)) + '\n');
} else {
    fail('usage: node jsonc_oracle.js FILE | --batch');
}
