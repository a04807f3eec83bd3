/**
 * The Entra walkthrough, as a user runs it, against the embedded identity provider (an
 * Entra-shaped OpenID provider with a Graph-compatible endpoint: Microsoft's cloud cannot be
 * reached from here) and the real test cluster: `porthole login`, a binding on the object id,
 * `porthole proxy`, kubectl through `porthole get-token`; then a group binding, group overage,
 * service principals, and a token that expires under open streams.
 */
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {agentClusterRole} from '@porthole/agent-bridge';
import {DevIdentityProvider} from '@porthole/relay';
import type {DevDirectory} from '@porthole/relay';
import {
  freePort,
  kubectl,
  kubectlPath,
  serviceAccountToken,
  signInWithForm,
  UserAgent,
} from '@porthole/testing';
import type {LineProcess} from '@porthole/testing';

import {writeAgentKubeconfig} from './agent-kubeconfig.js';
import {porthole, runPorthole, relayServeArgs, relayWebSocketUrl} from './processes.js';

const cluster = inject('cluster');
const KEY = 'entra-walkthrough-key';
const id = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

const TENANT = '8d1f6a52-6c1c-4d35-9a35-4f1d3c2b0a11';
const API = id('5e0a1b2c', 1);
const CLI_APP = id('5e0a1b2c', 2);
const CI_APP = id('5e0a1b2c', 3);
const CI_MANY_APP = id('5e0a1b2c', 4);
const AGENT_APP = id('5e0a1b2c', 5);
const ADA = id('0a0a0a0a', 1);
const BOB = id('0a0a0a0a', 2);
const CY = id('0a0a0a0a', 3);
const CI = id('0a0a0a0a', 4);
const CI_MANY = id('0a0a0a0a', 5);
const AGENT_SP = id('0a0a0a0a', 6);
const PLATFORM = id('0b0b0b0b', 1000);
const MANY = Array.from({length: 250}, (_, i) => ({
  name: `team-${i + 1}`,
  objectId: id('0b0b0b0b', i + 1),
}));
const LAST = MANY[249]?.objectId ?? '';

const directory: DevDirectory = {
  tenantId: TENANT,
  api: {clientId: API},
  publicClients: [{name: 'porthole-cli', clientId: CLI_APP, redirectUris: ['http://localhost']}],
  servicePrincipals: [
    {name: 'ci', clientId: CI_APP, objectId: CI, secret: 'ci-secret'},
    {
      name: 'ci-many',
      clientId: CI_MANY_APP,
      objectId: CI_MANY,
      secret: 'many-secret',
      groups: MANY.map((g) => g.name),
    },
    {
      name: 'porthole-agent',
      clientId: AGENT_APP,
      objectId: AGENT_SP,
      secret: 'agent-secret',
      graphPermissions: ['GroupMember.Read.All'],
    },
  ],
  users: [
    {name: 'ada', upn: 'ada@contoso.example', displayName: 'Ada', objectId: ADA},
    {
      name: 'bob',
      upn: 'bob@contoso.example',
      displayName: 'Bob',
      objectId: BOB,
      groups: ['platform'],
    },
    {
      name: 'cy',
      upn: 'cy@contoso.example',
      displayName: 'Cy',
      objectId: CY,
      groups: MANY.map((g) => g.name),
    },
  ],
  groups: [{name: 'platform', objectId: PLATFORM}, ...MANY],
};

let idp: DevIdentityProvider;
let home: string;
let env: NodeJS.ProcessEnv;
let relayUrl: string;
let port: number;
const processes: LineProcess[] = [];
const bindings: string[] = [];

function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}): LineProcess {
  const process = porthole(args, {...env, ...extraEnv});
  processes.push(process);
  return process;
}

/** Runs a porthole command to its end. */
const run = (args: string[]) => runPorthole(args, env);

/** kubectl on the proxy's context, as the signed-in principal (through `porthole get-token`). */
const viaProxy = (args: string[]) =>
  kubectl(join(home, 'bridge', 'kubeconfig'), ['--context', 'porthole-demo', ...args]);

async function bind(name: string, subject: string[]): Promise<void> {
  bindings.push(name);
  const result = await kubectl(cluster.kubeconfigPath, [
    'create',
    'clusterrolebinding',
    name,
    '--clusterrole',
    'cluster-admin',
    ...subject,
  ]);
  expect(result).toMatchObject({code: 0});
}

/** The first match on a process's stderr, waiting up to 15 s. */
async function stderrLine(process: LineProcess, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = pattern.exec(process.stderr);
    if (match) return match;
    if (process.exited || Date.now() > deadline)
      throw new Error(`no ${String(pattern)} on stderr: ${process.stderr}`);
    await sleep(50);
  }
}

const login = (...args: string[]) =>
  run([
    'login',
    '--authority',
    idp.authority,
    '--client-id',
    CLI_APP,
    '--server-app',
    API,
    ...args,
  ]);

beforeAll(async () => {
  idp = await DevIdentityProvider.start({
    directory,
    overageThreshold: 200,
    accessTokenTtlSeconds: 20,
    deviceCodeIntervalSeconds: 1,
    log: () => undefined,
  });
  home = await mkdtemp(join(tmpdir(), 'porthole-entra-'));
  await writeFile(join(home, 'idp-ca.pem'), idp.caPem);
  env = {PORTHOLE_HOME: home, PORTHOLE_SAS_KEY: KEY, NODE_EXTRA_CA_CERTS: join(home, 'idp-ca.pem')};

  // The agent's own identity in the cluster: a service account that may only impersonate.
  const role = agentClusterRole('porthole-agent-walkthrough');
  expect(
    await kubectl(cluster.kubeconfigPath, ['apply', '-f', '-'], {input: JSON.stringify(role)}),
  ).toMatchObject({code: 0});
  const agentToken = await serviceAccountToken(
    cluster.kubeconfigPath,
    'porthole-agent-walkthrough',
    'porthole-agent-walkthrough',
  );
  const agentKubeconfig = join(home, 'agent.kubeconfig');
  await writeAgentKubeconfig(agentKubeconfig, cluster, agentToken);

  const relay = start(
    relayServeArgs({dataDir: join(home, 'relay'), entities: ['clusters/demo'], sasKey: KEY}),
  );
  relayUrl = await relayWebSocketUrl(relay);
  const agent = start(
    [
      'agent',
      'run',
      '--relay',
      relayUrl,
      '--hybrid-connection',
      'clusters/demo',
      '--sas-key-name',
      'dev',
      '--kubeconfig',
      agentKubeconfig,
      '--entra-tenant',
      TENANT,
      '--entra-audience',
      API,
      '--entra-issuer',
      idp.issuer,
      '--graph-client-id',
      AGENT_APP,
      '--graph-url',
      idp.graphBaseUrl,
      '--graph-token-url',
      idp.tokenEndpoint,
      '--graph-scope',
      `${idp.graphAudience}/.default`,
    ],
    {PORTHOLE_GRAPH_CLIENT_SECRET: 'agent-secret'},
  );
  await agent.line(/^listening on /);
  port = await freePort();
});

afterAll(async () => {
  await run(['proxy', 'stop', '--port', String(port)]);
  for (const process of processes.reverse()) await process.stop();
  for (const name of bindings)
    await kubectl(cluster.kubeconfigPath, ['delete', 'clusterrolebinding', name]);
  await idp.close();
  await rm(home, {recursive: true, force: true});
});

describe('the Entra walkthrough', () => {
  it('signs in a user, and shows the account', async () => {
    expect(await login('--dev-user', 'ada')).toMatchObject({
      code: 0,
      stdout: `Signed in as ada@contoso.example (user ${ADA}, tenant ${TENANT}).`,
    });
    expect(await run(['account', 'show', '--query', 'objectId', '-o', 'tsv'])).toMatchObject({
      code: 0,
      stdout: ADA,
    });
    const shown = await run(['account', 'show', '-o', 'json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      username: 'ada@contoso.example',
      objectId: ADA,
      tenantId: TENANT,
      type: 'user',
    });
  });

  it('proxies the cluster: Forbidden without a binding, naming the object id; in with one', async () => {
    const proxy = await run([
      'proxy',
      '-n',
      'demo',
      '--relay',
      relayUrl,
      '--sas-key-name',
      'dev',
      '--port',
      String(port),
      '--daemon',
    ]);
    expect(proxy.code).toBe(0);
    const denied = await viaProxy(['get', 'pods', '-A']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `User "${ADA}" cannot list resource "pods" in API group "" at the cluster scope`,
    );
    await bind('demo-user-binding', ['--user', ADA]);
    const pods = await viaProxy(['get', 'pods', '-A', '-o', 'name']);
    expect(pods).toMatchObject({code: 0, stderr: ''});
    expect(
      await viaProxy(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']),
    ).toMatchObject({code: 0, stdout: ADA});
  });

  it('lets a user in through a group binding', async () => {
    await bind('demo-group-binding', ['--group', PLATFORM]);
    expect(await login('--dev-user', 'bob')).toMatchObject({code: 0});
    expect(
      await viaProxy(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']),
    ).toMatchObject({code: 0, stdout: BOB});
    expect(await viaProxy(['get', 'namespaces', 'default', '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'namespace/default\n',
    });
  });

  it('lets a user in 250 groups in through a binding on the 250th (overage, read from Graph)', async () => {
    await bind('demo-overage-binding', ['--group', LAST]);
    expect(await login('--dev-user', 'cy')).toMatchObject({code: 0});
    expect(await viaProxy(['get', 'namespaces', 'default', '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'namespace/default\n',
    });
    const groups = await viaProxy(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.groups}']);
    expect(JSON.parse(groups.stdout)).toEqual([
      ...MANY.map((g) => g.objectId),
      'system:authenticated',
    ]);
  });

  it.each([
    ['a service principal bound by object id', CI_APP, 'ci-secret', CI, true],
    ['a service principal in 250 groups', CI_MANY_APP, 'many-secret', CI_MANY, false],
  ])(
    'lets %s in, signed in with client credentials',
    async (_, app, secret, objectId, bindObjectId) => {
      if (bindObjectId) await bind('demo-sp-binding', ['--user', objectId]);
      expect(await run(['logout'])).toMatchObject({code: 0});
      const signedIn = await run([
        'login',
        '--service-principal',
        '--authority',
        idp.authority,
        '--tenant',
        TENANT,
        '--client-id',
        app,
        '--secret',
        secret,
        '--server-app',
        API,
      ]);
      expect(signedIn).toMatchObject({code: 0});
      const shown = JSON.parse((await run(['account', 'show', '-o', 'json'])).stdout) as Record<
        string,
        unknown
      >;
      expect(shown).toMatchObject({objectId, tenantId: TENANT, type: 'servicePrincipal'});
      expect(
        await viaProxy(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']),
      ).toMatchObject({code: 0, stdout: objectId});
    },
  );

  it('signs in with a device code', async () => {
    const login = start([
      'login',
      '--use-device-code',
      '--authority',
      idp.authority,
      '--client-id',
      CLI_APP,
      '--server-app',
      API,
    ]);
    const [, url = '', code = ''] = await stderrLine(
      login,
      /open the page (\S+) and enter the code (\S+) /,
    );
    const browser = new UserAgent({ca: idp.caPem, origin: new URL(idp.issuer).origin});
    const entry = await browser.open(url);
    const confirm = await browser.submit(entry.form(), {user_code: code});
    const signIn = await browser.submit(confirm.form());
    const done = await browser.submit(signIn.form(), {
      username: 'bob',
      password: '',
      action: 'sign-in',
    });
    expect(done.status).toBe(200);
    expect(await login.exit()).toBe(0);
    expect(login.lines).toEqual([
      `Signed in as bob@contoso.example (user ${BOB}, tenant ${TENANT}).`,
    ]);
  });

  it('signs in in the browser, through the loopback redirect', async () => {
    const login = start(
      ['login', '--authority', idp.authority, '--client-id', CLI_APP, '--server-app', API],
      {BROWSER: 'none'},
    );
    const [, url = ''] = await stderrLine(login, /^To sign in, open (\S+)$/m);
    const browser = new UserAgent({ca: idp.caPem, origin: new URL(idp.issuer).origin});
    const back = await signInWithForm(browser, url, 'ada');
    // The provider's last page posts the code to the CLI's loopback server (form_post).
    const form = back.form();
    expect(new URL(form.action).hostname).toBe('localhost');
    const landing = await fetch(form.action, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams(form.fields).toString(),
    });
    expect(await landing.text()).toContain('Signed in to Porthole');
    expect(await login.exit()).toBe(0);
    expect(login.lines).toEqual([
      `Signed in as ada@contoso.example (user ${ADA}, tenant ${TENANT}).`,
    ]);
  });

  it('keeps a watch and an exec -i open across token expiry; new requests use a refreshed token', async () => {
    expect(await login('--dev-user', 'ada')).toMatchObject({code: 0});
    const admin = (args: string[]) => kubectl(cluster.kubeconfigPath, args);
    expect(await admin(['create', 'namespace', 'entra-walkthrough'])).toMatchObject({code: 0});
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await admin(['-n', 'entra-walkthrough', 'run', 'web', '--image=nginx'])).code === 0)
        break;
      await sleep(100); // until the namespace has its default service account
    }
    expect(
      await admin([
        '-n',
        'entra-walkthrough',
        'wait',
        '--for=condition=Ready',
        'pod/web',
        '--timeout=30s',
      ]),
    ).toMatchObject({code: 0});
    // `head -n 2` ends by itself after its second line (kwok does not pass stdin's end on).
    const exec = spawn(
      kubectlPath('kubectl.1.33'),
      [
        '--kubeconfig',
        join(home, 'bridge', 'kubeconfig'),
        '--context',
        'porthole-demo',
        '-n',
        'entra-walkthrough',
        'exec',
        '-i',
        'web',
        '--',
        'head',
        '-n',
        '2',
      ],
      {stdio: ['pipe', 'pipe', 'pipe']},
    );
    let echoed = '';
    exec.stdout.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    let execErrors = '';
    exec.stderr.on('data', (chunk: Buffer) => (execErrors += chunk.toString()));
    exec.stdin.write('before expiry\n');
    const watch = spawn(
      kubectlPath('kubectl.1.33'),
      [
        '--kubeconfig',
        join(home, 'bridge', 'kubeconfig'),
        '--context',
        'porthole-demo',
        'get',
        'configmaps',
        '-n',
        'default',
        '-w',
        '-o',
        'name',
      ],
      {stdio: ['ignore', 'pipe', 'pipe']},
    );
    let seen = '';
    watch.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      const deadline = Date.now() + 15_000;
      while (!seen.includes('configmap/kube-root-ca.crt') && Date.now() < deadline)
        await sleep(100);
      expect(seen).toContain('configmap/kube-root-ca.crt');
      const before = await run(['get-token']);
      await sleep(22_000); // past the 20-second lifetime of the token the watch started with
      expect(
        await kubectl(cluster.kubeconfigPath, [
          'create',
          'configmap',
          'after-expiry',
          '-n',
          'default',
        ]),
      ).toMatchObject({code: 0});
      const until = Date.now() + 15_000;
      while (!seen.includes('configmap/after-expiry') && Date.now() < until) await sleep(100);
      expect(seen).toContain('configmap/after-expiry');
      expect(watch.exitCode).toBeNull();
      exec.stdin.write('after expiry\n');
      const code = await Promise.race([
        once(exec, 'exit').then(([exitCode]) => exitCode as number | null),
        sleep(15_000).then(() => 'still running'),
      ]);
      expect({code, echoed, stderr: execErrors}).toEqual({
        code: 0,
        echoed: 'before expiry\nafter expiry\n',
        stderr: '',
      });
      const after = await run(['get-token']);
      const token = (text: string) => (JSON.parse(text) as {status: {token: string}}).status.token;
      expect(token(after.stdout)).not.toBe(token(before.stdout));
      expect(
        await viaProxy(['get', 'configmap', 'after-expiry', '-n', 'default', '-o', 'name']),
      ).toMatchObject({code: 0});
    } finally {
      watch.kill();
      exec.kill();
      await admin(['delete', 'namespace', 'entra-walkthrough', '--wait=false']);
      await kubectl(cluster.kubeconfigPath, [
        'delete',
        'configmap',
        'after-expiry',
        '-n',
        'default',
      ]);
    }
  });
});
