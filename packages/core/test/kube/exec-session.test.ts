import {describe, expect, it} from 'vitest';

import {ExecSession, exitFromStatus} from '../../src/kube/index.js';
import type {ExecSessionOptions} from '../../src/kube/index.js';
import {bytes, concat, readText, settle, text, utf8} from './helpers.js';
import {ScriptedWebSocketServer, closeFrame, serverFrame} from './web-socket-server.js';

const SUCCESS = {metadata: {}, status: 'Success'};
const EXIT_3 = {
  metadata: {},
  status: 'Failure',
  message:
    'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
  reason: 'NonZeroExitCode',
  details: {causes: [{reason: 'ExitCode', message: '3'}]},
};

/** A binary message on a channel. */
function channel(id: number, payload: Uint8Array | string): Uint8Array {
  return serverFrame(
    0x2,
    concat([Uint8Array.of(id), typeof payload === 'string' ? utf8(payload) : payload]),
  );
}

async function start(protocol = 'v5.channel.k8s.io', options: ExecSessionOptions = {stdin: true}) {
  const server = new ScriptedWebSocketServer({protocol});
  const session = await ExecSession.open(
    server.connection,
    '/api/v1/namespaces/ns/pods/web/exec?command=cat',
    options,
  );
  return {server, session};
}

/** The client's messages: [channel, payload as text]. */
function sentMessages(server: ScriptedWebSocketServer): [number, string][] {
  return server
    .takeFrames()
    .map((frame) => [frame.payload[0] ?? -1, text(frame.payload.subarray(1))]);
}

describe('ExecSession', () => {
  it('streams stdout and stderr, and resolves exit 0 from a Success status', async () => {
    const {server, session} = await start();
    expect(session.protocol).toBe('v5.channel.k8s.io');
    server.send(channel(1, 'hi\n'));
    server.send(channel(2, 'warning\n'));
    server.send(channel(1, ''));
    server.send(channel(3, JSON.stringify(SUCCESS)));
    server.send(closeFrame(1000));
    server.end();
    expect(await readText(session.stdout)).toBe('hi\n');
    expect(await readText(session.stderr)).toBe('warning\n');
    expect(await session.exit).toEqual({code: 0, status: SUCCESS});
  });

  it('resolves the exit code of NonZeroExitCode from details.causes', async () => {
    const {server, session} = await start();
    const json = JSON.stringify(EXIT_3);
    // The status may come in pieces.
    server.send(channel(3, json.slice(0, 20)));
    server.send(channel(3, json.slice(20)));
    expect(await session.exit).toEqual({code: 3, status: EXIT_3});
  });

  it('rejects exit with ERR_KUBE_STATUS for another failure, keeping its message', async () => {
    const {server, session} = await start();
    const status = {
      status: 'Failure',
      message: 'container not found ("sidecar")',
      reason: 'InternalError',
      code: 500,
    };
    server.send(channel(3, JSON.stringify(status)));
    await expect(session.exit).rejects.toMatchObject({
      code: 'ERR_KUBE_STATUS',
      message: 'container not found ("sidecar")',
      status: 500,
      reason: 'InternalError',
    });
  });

  it('rejects exit with ERR_KUBE_CHANNEL_PROTOCOL when the session ends without a status', async () => {
    const {server, session} = await start();
    server.send(closeFrame(1000));
    server.end();
    await expect(session.exit).rejects.toMatchObject({
      code: 'ERR_KUBE_CHANNEL_PROTOCOL',
      message: 'Remote command ended without a status (WebSocket closed with 1000)',
    });
  });

  it('sends stdin on channel 0 in messages of at most 32 KiB, and v5 close-channel (255, 0) at its end', async () => {
    const {server, session} = await start();
    const writer = session.stdin.getWriter();
    await writer.write(bytes('hello'));
    await writer.write(new Uint8Array(40_000).fill(0x61));
    await writer.close();
    const frames = server.takeFrames();
    expect(frames.map((frame) => frame.payload.length)).toEqual([6, 32_769, 7_233, 2]);
    expect(frames.map((frame) => frame.payload[0])).toEqual([0, 0, 0, 255]);
    expect(frames[0]?.payload).toEqual(Uint8Array.of(0, ...bytes('hello')));
    expect(frames[3]?.payload).toEqual(Uint8Array.of(255, 0));
  });

  it('has no way to end stdin on v4, so closing it sends nothing', async () => {
    const {server, session} = await start('v4.channel.k8s.io');
    expect(session.protocol).toBe('v4.channel.k8s.io');
    await session.stdin.close();
    expect(server.takeFrames()).toEqual([]);
  });

  it('refuses stdin writes when stdin was not requested', async () => {
    const {session} = await start('v5.channel.k8s.io', {});
    await expect(session.stdin.getWriter().write(bytes('x'))).rejects.toMatchObject({
      code: 'ERR_KUBE_REQUEST_INVALID',
      message: 'Invalid request: stdin was not requested',
    });
  });

  it('sends the terminal size on channel 4 as {"Width","Height"}', async () => {
    const {server, session} = await start();
    session.resize({width: 120, height: 40});
    expect(sentMessages(server)).toEqual([[4, '{"Width":120,"Height":40}']]);
  });

  it('pauses the stream while a reader lags, and resumes as it reads', async () => {
    const {server, session} = await start('v5.channel.k8s.io', {bodyHighWaterMark: 4});
    server.send(channel(1, 'abcd'));
    expect(server.transport.paused).toBe(true);
    const reader = session.stdout.getReader();
    expect(text((await reader.read()).value ?? new Uint8Array())).toBe('abcd');
    await settle();
    expect(server.transport.paused).toBe(false);
  });

  it('closes the session with 1000 on close()', async () => {
    const {server, session} = await start();
    session.close();
    expect(server.takeFrames()).toEqual([
      {fin: true, opcode: 0x8, masked: true, payload: Uint8Array.of(0x03, 0xe8)},
    ]);
  });

  it('fails the handshake when the server picks no subprotocol', async () => {
    const server = new ScriptedWebSocketServer({});
    await expect(ExecSession.open(server.connection, '/exec')).rejects.toMatchObject({
      code: 'ERR_KUBE_WEBSOCKET_HANDSHAKE',
      message:
        'WebSocket handshake failed: the server chose no remote-command subprotocol (offered v5.channel.k8s.io, v4.channel.k8s.io)',
    });
  });
});

describe('exitFromStatus', () => {
  it.each([
    ['Success', SUCCESS, 0],
    ['NonZeroExitCode', EXIT_3, 3],
  ])('reads %s', (_, status, code) => {
    expect(exitFromStatus(status)).toEqual({code, status});
  });

  it('reports NonZeroExitCode without an ExitCode cause as ERR_KUBE_CHANNEL_PROTOCOL', () => {
    expect(exitFromStatus({status: 'Failure', reason: 'NonZeroExitCode'})).toMatchObject({
      code: 'ERR_KUBE_CHANNEL_PROTOCOL',
    });
  });
});
