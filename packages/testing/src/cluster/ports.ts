import {createServer} from 'node:net';
import {once} from 'node:events';

/**
 * Finds a free TCP port on 127.0.0.1 for a server that cannot bind port 0 itself because it
 * must announce its address before it listens (etcd, kube-apiserver, kwok's node server).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
