#!/usr/bin/env node
// The `cutover` executable: turns on Node's compile cache where there is one (Node 22.1 and later
// keep compiled code on disk, so a command starts faster the second time), then loads the command line.
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// These commands hash files on worker threads: started now, the threads boot while the rest loads.
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
if (command === 'hash' || command === 'verify') (await import('./integrity/hash-files.js')).prestartHashThreads();
await import('./cli.js');
