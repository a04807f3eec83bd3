import {chmod, readFile, rename, rm, writeFile} from 'node:fs/promises';

import {AgentBridgeError} from '../errors.js';
import {AGENT_SECRET_FIELDS} from './agent-manifest.js';
import {KubeClient} from './kube-client.js';
import type {KubeEndpoint} from './kube-endpoint.js';

/**
 * Where a rotated agent key is kept, so that the agent's next start reads the key the relay
 * now expects: the agent's own Secret in a cluster, a file outside one.
 */
export interface AgentKeyStore {
  /** Where the key goes, for logs and messages: `Secret porthole-system/porthole-agent`. */
  readonly location: string;
  /**
   * Replaces the kept key.
   *
   * @throws AgentBridgeError `ERR_AGENT_KEY_NOT_SAVED`; the message never holds the key
   */
  save(key: string): Promise<void>;
  /**
   * The kept key, or `undefined` when it cannot be read: what another agent sharing the
   * credential rotated to, or what an administrator put there.
   */
  load(): Promise<string | undefined>;
}

/**
 * The agent's Secret, patched through the apiserver with the agent's own credential (a merge
 * patch of the one data field the Deployment reads `PORTHOLE_AGENT_KEY` from). The agent's
 * Role allows exactly this: `get` and `patch` on this one Secret.
 *
 * @example
 *   const store = secretKeyStore({cluster: await inClusterEndpoint(), namespace: 'porthole-system', name: 'porthole-agent'});
 */
export function secretKeyStore(options: {
  cluster: KubeEndpoint;
  namespace: string;
  name: string;
}): AgentKeyStore {
  const kube = new KubeClient(options.cluster);
  const location = `Secret ${options.namespace}/${options.name}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/secrets/${encodeURIComponent(options.name)}`;
  return {
    location,
    async save(key) {
      let answer;
      try {
        answer = await kube.request('PATCH', path, {
          contentType: 'application/merge-patch+json',
          body: {data: {[AGENT_SECRET_FIELDS.key]: Buffer.from(key).toString('base64')}},
        });
      } catch (err) {
        throw notSaved(location, (err as Error).message, err);
      }
      if (answer.status === 200) return;
      // The Status's reason only: its message could quote a rejected value.
      const reason = (answer.body as {reason?: unknown} | undefined)?.reason;
      const why =
        answer.status === 403
          ? "the agent's service account may not patch it"
          : answer.status === 404
            ? 'it does not exist'
            : `the apiserver answered ${answer.status}${typeof reason === 'string' ? ` ${reason}` : ''}`;
      throw notSaved(location, why);
    },
    async load() {
      const answer = await kube.request('GET', path).catch(() => undefined);
      const data = (answer?.body as {data?: Record<string, unknown>} | undefined)?.data;
      const value = data?.[AGENT_SECRET_FIELDS.key];
      if (answer?.status !== 200 || typeof value !== 'string') return undefined;
      return Buffer.from(value, 'base64').toString('utf8').trim() || undefined;
    },
  };
}

/**
 * A file holding the key alone, replaced atomically (written beside it, then renamed) and
 * readable by its owner only (0600).
 */
export function fileKeyStore(path: string): AgentKeyStore {
  const location = `file ${path}`;
  return {
    location,
    async save(key) {
      const next = `${path}.${process.pid}.new`;
      try {
        await writeFile(next, `${key}\n`, {mode: 0o600});
        await chmod(next, 0o600); // whatever the umask or an older file of that name said
        await rename(next, path);
      } catch (err) {
        await rm(next, {force: true}).catch(() => undefined);
        throw notSaved(location, (err as NodeJS.ErrnoException).code ?? 'write failed', err);
      }
    },
    async load() {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      return text?.trim() || undefined;
    },
  };
}

function notSaved(location: string, why: string, cause?: unknown): AgentBridgeError {
  return new AgentBridgeError(
    'ERR_AGENT_KEY_NOT_SAVED',
    `The rotated agent key could not be saved to ${location}: ${why}`,
    'The agent keeps using the new key and retries; until it is saved, a restart would start with the old one.',
    {cause},
  );
}
