import {randomBytes, randomUUID} from 'node:crypto';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import {dirname} from 'node:path';

import type {DevDirectory} from './dev-directory.js';
import {loadDevDirectory} from './dev-directory.js';

/**
 * The directory `relay serve --dev-identity` serves when given none: read from `path`, or made
 * there once (0600) and kept, so that its tenant, apps and users — and every binding made to
 * their object ids — stay the same across restarts. It holds the server app, the CLI and
 * console as public clients, service principals for the Graph reads of the agent and of the
 * relay's control plane (`porthole-relay`: directories made before it have none, and their
 * tokens with group overage count only their own object id), and one user, `dev`, who signs
 * in with any password.
 *
 * @throws RelayError `ERR_IDENTITY_SEED_INVALID` when the file exists but is not a directory seed
 */
export async function ensureDevDirectory(path: string): Promise<DevDirectory> {
  try {
    await readFile(path);
  } catch {
    const directory: DevDirectory = {
      tenantId: randomUUID(),
      api: {clientId: randomUUID()},
      publicClients: [
        {name: 'porthole-cli', clientId: randomUUID(), redirectUris: ['http://localhost']},
        {
          name: 'porthole-console',
          clientId: randomUUID(),
          // Loopback: any port (RFC 8252 §7.3), the relay's console or the bridge's.
          redirectUris: [
            'http://127.0.0.1/console/redirect.html',
            'http://localhost/console/redirect.html',
            'https://127.0.0.1/redirect.html',
            'https://localhost/redirect.html',
          ],
        },
      ],
      servicePrincipals: [
        {
          name: 'porthole-agent',
          clientId: randomUUID(),
          objectId: randomUUID(),
          secret: randomBytes(24).toString('base64url'),
          graphPermissions: ['GroupMember.Read.All'],
        },
        {
          name: 'porthole-relay',
          clientId: randomUUID(),
          objectId: randomUUID(),
          secret: randomBytes(24).toString('base64url'),
          graphPermissions: ['GroupMember.Read.All'],
        },
      ],
      users: [
        {name: 'dev', upn: 'dev@porthole.local', displayName: 'Developer', objectId: randomUUID()},
      ],
      groups: [],
    };
    await mkdir(dirname(path), {recursive: true, mode: 0o700});
    await writeFile(path, `${JSON.stringify(directory, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    }).catch((err: unknown) => {
      // Another relay made it first: read theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
  }
  return loadDevDirectory(path);
}
