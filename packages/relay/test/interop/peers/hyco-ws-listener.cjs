'use strict';
// A hyco-ws listener that echoes every message with its type (text or binary) and reports
// each rendezvous. Config (argv[2], JSON): {url, resource, keyName, key, tokenSeconds?, renewEveryMs?}
const emit = require('./emit.cjs');
const config = JSON.parse(process.argv[2]);

if (config.renewEveryMs) {
  // hyco-ws renews its token every hour (hybrid-connections.md §2.3 #6); tests shorten that.
  const setInterval = global.setInterval;
  global.setInterval = (fn, ms, ...args) =>
    setInterval(fn, ms === 3600000 ? config.renewEveryMs : ms, ...args);
}

const WS = require('hyco-ws');
const server = WS.createRelayedServer(
  {
    server: config.url,
    token: () =>
      WS.createRelayToken(config.resource, config.keyName, config.key, config.tokenSeconds || 3600),
  },
  (socket) => {
    socket.on('open', () =>
      emit({event: 'connection', url: socket.url, protocol: socket.protocol || null}),
    );
    socket.on('message', (data, flags) =>
      socket.send(data, {binary: Boolean(flags && flags.binary)}),
    );
    socket.on('error', () => undefined);
  },
);
server.on('listening', () => emit({event: 'listening'}));
server.on('error', (error) =>
  emit({event: 'error', message: String((error && error.message) || error)}),
);
