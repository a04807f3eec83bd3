import {randomBytes, randomUUID} from 'node:crypto';

import type {DevDirectory} from '@porthole/relay';

/** More groups than Entra's 200 a token carries: `crowd`'s tokens have group overage. */
const CROWD_GROUPS = 210;

/** A development directory whose user `crowd` is in {@link CROWD_GROUPS} groups, and its ids. */
export interface CrowdedDirectory {
  directory: DevDirectory;
  /** The first user: the relay's administrator unless `--admin` names others. */
  admin: {name: 'admin'; objectId: string};
  crowd: {name: 'crowd'; objectId: string};
  /** One of crowd's groups, the one to give a role to. */
  group: string;
  /** The app that reads Graph memberships (`GroupMember.Read.All`). */
  graphReader: {name: string; clientId: string; secret: string};
}

/**
 * A fresh directory: a CLI client, users `admin` (no groups) and `crowd` (in 210), and a Graph
 * reader named `readerName` — `porthole-relay` for `relay serve --dev-identity`.
 */
export function crowdedDirectory(readerName: string): CrowdedDirectory {
  const groups = Array.from({length: CROWD_GROUPS}, (_, i) => ({
    name: `team-${String(i).padStart(3, '0')}`,
    objectId: randomUUID(),
  }));
  const admin = {name: 'admin' as const, objectId: randomUUID()};
  const crowd = {name: 'crowd' as const, objectId: randomUUID()};
  const graphReader = {
    name: readerName,
    clientId: randomUUID(),
    secret: randomBytes(24).toString('base64url'),
  };
  return {
    directory: {
      tenantId: randomUUID(),
      api: {clientId: randomUUID()},
      publicClients: [
        {name: 'porthole-cli', clientId: randomUUID(), redirectUris: ['http://localhost']},
      ],
      servicePrincipals: [
        {...graphReader, objectId: randomUUID(), graphPermissions: ['GroupMember.Read.All']},
      ],
      users: [
        {...admin, upn: 'admin@contoso.example', displayName: 'Admin'},
        {
          ...crowd,
          upn: 'crowd@contoso.example',
          displayName: 'Crowd',
          groups: groups.map((group) => group.name),
        },
      ],
      groups,
    },
    admin,
    crowd,
    group: groups[137]?.objectId ?? '',
    graphReader,
  };
}
