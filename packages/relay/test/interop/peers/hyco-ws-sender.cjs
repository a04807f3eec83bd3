'use strict';
// A hyco-ws sender: opens connections through the relay, sends messages, checks the echoes.
// Config (argv[2], JSON): {url, token, auth: 'header'|'query', protocols?, sequential, parallel,
// messages: [{kind: 'text'|'binary', bytes}]}
const crypto = require('crypto');
const emit = require('./emit.cjs');
const WS = require('hyco-ws');
const config = JSON.parse(process.argv[2]);

function payload(kind, bytes, seed) {
  const buffer = crypto.createHash('sha256').update(String(seed)).digest();
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += buffer.length) buffer.copy(data, i);
  return kind === 'text' ? data.toString('hex').slice(0, bytes) : data;
}

function connectOnce(index) {
  return new Promise((resolve, reject) => {
    const socket =
      config.auth === 'header'
        ? new WS(config.url, config.protocols || undefined, {
            headers: {ServiceBusAuthorization: config.token},
          })
        : new WS(
            config.url + '&sb-hc-token=' + encodeURIComponent(config.token),
            config.protocols || undefined,
          );
    const pending = config.messages.map((m, i) => payload(m.kind, m.bytes, index * 1000 + i));
    let next = 0;
    const timer = setTimeout(() => reject(new Error('connection ' + index + ' timed out')), 30000);
    socket.on('open', () => {
      if (pending.length === 0) {
        clearTimeout(timer);
        const protocol = socket.protocol || null;
        socket.close();
        resolve({protocol});
        return;
      }
      socket.send(pending[0], {binary: config.messages[0].kind === 'binary'});
    });
    socket.on('message', (data, flags) => {
      const expected = pending[next];
      const kind = config.messages[next].kind;
      const same =
        kind === 'text'
          ? !flags.binary && data === expected
          : flags.binary && Buffer.compare(Buffer.from(data), expected) === 0;
      if (!same) {
        clearTimeout(timer);
        reject(new Error('echo ' + next + ' of connection ' + index + ' differs'));
        return;
      }
      next++;
      if (next === pending.length) {
        clearTimeout(timer);
        const protocol = socket.protocol || null;
        socket.close();
        resolve({protocol});
      } else {
        socket.send(pending[next], {binary: config.messages[next].kind === 'binary'});
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

(async () => {
  const results = [];
  for (let i = 0; i < config.sequential; i++) results.push(await connectOnce(i));
  const parallel = [];
  for (let i = 0; i < config.parallel; i++) parallel.push(connectOnce(config.sequential + i));
  results.push(...(await Promise.all(parallel)));
  emit({
    event: 'done',
    connections: results.length,
    protocols: [...new Set(results.map((r) => r.protocol))],
  });
})().catch((error) => {
  emit({event: 'failed', message: String(error && error.message)});
  process.exitCode = 1;
});
