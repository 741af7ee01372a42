import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { ControllerError } from './errors.js';

/** The token file in the run directory (next to cluster.json); mode 0600, read by `kvnetlab event`. */
export const TOKEN_FILE = 'controller.token';
export const ENV_TOKEN = 'KVNETLAB_CONTROLLER_TOKEN';

/** The given token (flag, then env), else 32 random bytes as hex. */
export function chooseToken(given?: string): string {
  return given ?? process.env[ENV_TOKEN] ?? randomBytes(32).toString('hex');
}

/** Write the token so only this user can read it (chmod too: writeFileSync's mode only applies on create). */
export function writeTokenFile(runDir: string, token: string): string {
  const path = join(runDir, TOKEN_FILE);
  writeFileSync(path, token + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export function readTokenFile(runDir: string): string | undefined {
  const path = join(runDir, TOKEN_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/** fastify preHandler for state-changing routes: `Authorization: Bearer <token>`, compared in constant time. */
export function requireToken(token: string) {
  const want = Buffer.from(token);
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m) throw new ControllerError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>; see controller.token in the run directory)');
    const got = Buffer.from(m[1]!);
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new ControllerError('UNAUTHORIZED', 'wrong token');
  };
}
