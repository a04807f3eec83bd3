'use strict';
// A hyco-https listener with a few behaviours, chosen by the path after the entity name.
// Config (argv[2], JSON): {url, resource, keyName, key}
const emit = require('./emit.cjs');
const https = require('hyco-https');
const config = JSON.parse(process.argv[2]);

const server = https.createRelayedServer(
  {
    server: config.url,
    token: () => https.createRelayToken(config.resource, config.keyName, config.key),
  },
  (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url.split('?')[0].split('/').slice(2).join('/');
      emit({
        event: 'request',
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodyBytes: body.length,
      });
      switch (path) {
        case 'echo':
          res.setHeader('Content-Type', 'application/octet-stream');
          res.end(body);
          return;
        case 'inspect':
          res.setHeader('Content-Type', 'application/json');
          res.end(
            JSON.stringify({
              method: req.method,
              url: req.url,
              headers: req.headers,
              bodyBytes: body.length,
            }),
          );
          return;
        case 'big': {
          const size = Number(
            new URLSearchParams(req.url.split('?')[1] || '').get('size') || 102400,
          );
          const data = Buffer.alloc(size);
          for (let i = 0; i < size; i++) data[i] = i % 251;
          res.setHeader('Content-Type', 'application/octet-stream');
          res.end(data);
          return;
        }
        case 'multi':
          res.setHeader('Content-Type', 'text/plain');
          res.write('one,');
          res.write('two,');
          res.end('three');
          return;
        case 'created':
          res.statusCode = 201;
          res.statusMessage = 'Created Just Now';
          res.setHeader('Location', '/hycohttp/things/1');
          res.end();
          return;
        case 'silent':
          return; // never answers: the relay must time out with 504
        default:
          res.statusCode = 404;
          res.end('no such behaviour: ' + path);
      }
    });
  },
);
server.on('listening', () => emit({event: 'listening'}));
server.on('error', (error) =>
  emit({event: 'error', message: String((error && error.message) || error)}),
);
server.listen();
