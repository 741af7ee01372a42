import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { PRIVATE_KEY_FILE, ensureKeyPair, loadPrivateKey } from '../cluster/patch/keys.js';
import { signBundle } from '../cluster/patch/sign.js';
import { makeSyntheticPatch } from '../cluster/patch/synth.js';
import { DEFAULT_CODE_VERSION } from '../cluster/node/config.js';
import { positiveInt } from './options.js';

/** kvnetlab patch keygen | sign | synth: make signed live-patch bundles (cluster/patch/README.md). */
export const patchCommand = new Command('patch').description('make signed live-patch bundles (keygen, sign, synth)');

patchCommand
  .command('keygen')
  .description('write an ed25519 key pair: <out-dir>/patch-key.pem (0600) and patch-key.pub.pem (kept if both exist)')
  .requiredOption('--out-dir <dir>', 'where to write the key pair')
  .action((o) => {
    const k = ensureKeyPair(o.outDir);
    process.stdout.write(`${k.created ? 'wrote' : 'kept'} ${k.privateFile} and ${k.publicFile}\n`);
  });

patchCommand
  .command('sign')
  .description('sign an ES module into a patch bundle')
  .requiredOption('--module <file>', 'the ES module (default export: function (api) returning { commands, stages })')
  .requiredOption('--id <id>', 'patch id')
  .requiredOption('--version <n>', 'patch version (1 and up)', positiveInt)
  .option('--target <version>', 'node code version the patch applies to', DEFAULT_CODE_VERSION)
  .option('--key <pem>', 'ed25519 private key', join('run', 'cluster', PRIVATE_KEY_FILE))
  .requiredOption('--out <file>', 'bundle file to write')
  .action((o) => {
    const bundle = signBundle({ id: o.id, version: o.version, target: o.target }, readFileSync(o.module), loadPrivateKey(o.key));
    writeFileSync(o.out, bundle);
    process.stdout.write(`${resolve(o.out)}: ${bundle.length} bytes, patch ${o.id} v${o.version} for ${o.target}\n`);
  });

patchCommand
  .command('synth')
  .description('a signed synthetic patch of exactly --size bytes that replaces nothing (the network experiment)')
  .requiredOption('--size <bytes>', 'bundle size in bytes', positiveInt)
  .requiredOption('--version <n>', 'patch version (1 and up)', positiveInt)
  .option('--dir <dir>', 'cluster directory holding patch-key.pem', join('run', 'cluster'))
  .option('--key <pem>', 'ed25519 private key (default: <dir>/patch-key.pem)')
  .option('--target <version>', 'node code version the patch applies to', DEFAULT_CODE_VERSION)
  .option('--id <id>', 'patch id (default synthetic-v<version>)')
  .requiredOption('--out <file>', 'bundle file to write')
  .action((o) => {
    const privateKey = loadPrivateKey(o.key ?? join(o.dir, PRIVATE_KEY_FILE));
    const bundle = makeSyntheticPatch({ size: o.size, version: o.version, target: o.target, privateKey, id: o.id });
    writeFileSync(o.out, bundle);
    process.stdout.write(`${resolve(o.out)}: ${bundle.length} bytes, synthetic patch v${o.version} for ${o.target}\n`);
  });
