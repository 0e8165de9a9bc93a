#!/usr/bin/env node
// Prints the root of one artifact with the built engine (dist/), as `cutover hash PATH` does; used by bench/hash.bench.js.
import { resolve } from 'node:path';
import { hashArtifact } from '../dist/integrity/hash-artifact.js';

const [path, flag] = process.argv.slice(2);
const result = await hashArtifact(resolve(path));
process.stdout.write(flag === '--manifest' ? result.manifest : `${result.root}\n`);
