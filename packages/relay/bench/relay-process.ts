/**
 * The relay the benchmark measures, in a process of its own as it would be in production, so
 * that it does not share an event loop with the clients. Prints its URL, stops on SIGTERM.
 */
import {once} from 'node:events';

import {RelayServer, SqliteRelayStore} from '@porthole/relay';

const [entity = 'bench', keyName = 'bench', key = 'bench-key'] = process.argv.slice(2);
const store = SqliteRelayStore.open(':memory:');
await store.ensureHybridConnection(entity);
await store.putAuthorizationRule({
  entity: undefined,
  name: keyName,
  primaryKey: key,
  secondaryKey: undefined,
  rights: ['Listen', 'Send'],
});
const relay = new RelayServer({store, log: () => undefined});
const {url} = await relay.listen({host: '127.0.0.1', port: 0});
process.stdout.write(`${url}\n`);
await once(process, 'SIGTERM');
await relay.close();
await store.close();
