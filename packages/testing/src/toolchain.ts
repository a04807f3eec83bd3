import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {copyFile, mkdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {fileURLToPath} from 'node:url';

import {TestingError} from './errors.js';

const run = promisify(execFile);

/** The Go modules that pin each component, one directory each under `toolchain/`. */
const MODULES_DIR = fileURLToPath(new URL('../toolchain/', import.meta.url));

/** The kwok resources the test cluster serves as CRDs, so tests can add their own. */
export const KWOK_CRDS = [
  'attaches',
  'clusterattaches',
  'clusterexecs',
  'clusterlogs',
  'clusterportforwards',
  'execs',
  'logs',
  'portforwards',
] as const;

/** The binaries of a built toolchain, and the versions they were built at. */
export interface Toolchain {
  dir: string;
  versions: {kubernetes: string; etcd: string; kwok: string};
  bin: {
    etcd: string;
    kubeApiserver: string;
    kubeControllerManager: string;
    kubeScheduler: string;
    kwok: string;
  };
  /** kwok's CRD manifests (YAML), one file per entry of {@link KWOK_CRDS}. */
  kwokCrds: string[];
}

/** The part of a build that goes in `manifest.json`, written last: its presence marks a complete build. */
interface Manifest {
  versions: Toolchain['versions'];
  goVersion: string;
  builtAt: string;
  buildSeconds: number;
}

/**
 * The cache root for built binaries: `$PORTHOLE_CACHE_DIR`, else `$XDG_CACHE_HOME/porthole`,
 * else `~/.cache/porthole`. It lives outside the clone so that a fresh clone reuses it.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTHOLE_CACHE_DIR) return env.PORTHOLE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'porthole');
}

/**
 * Finds the binaries built for the pinned versions.
 *
 * @throws TestingError `ERR_TOOLCHAIN_MISSING` when they have not been built yet
 */
export async function locateToolchain(env: NodeJS.ProcessEnv = process.env): Promise<Toolchain> {
  const {dir, versions} = await toolchainIdentity(env);
  try {
    await stat(join(dir, 'manifest.json'));
  } catch {
    throw new TestingError(
      'ERR_TOOLCHAIN_MISSING',
      `Kubernetes ${versions.kubernetes} binaries are not built (expected in ${dir}); run: npm run toolchain`,
    );
  }
  return toolchainAt(dir, versions);
}

/** Progress of {@link buildToolchain}, one line at a time. */
export type BuildLog = (line: string) => void;

/**
 * Builds kube-apiserver, kube-controller-manager and kube-scheduler from `k8s.io/kubernetes`,
 * etcd from `go.etcd.io/etcd/server/v3` and kwok from `sigs.k8s.io/kwok` at the versions their
 * `go.mod` files pin, unless that build is already in the cache. A cold build takes minutes; a
 * warm call returns at once.
 *
 * @throws TestingError `ERR_TOOLCHAIN_BUILD_FAILED` with the end of the Go output
 */
export async function buildToolchain(
  log: BuildLog,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Toolchain & {built: boolean}> {
  const {dir, versions} = await toolchainIdentity(env);
  try {
    await stat(join(dir, 'manifest.json'));
    return {...toolchainAt(dir, versions), built: false};
  } catch {
    // Not built yet.
  }
  const started = Date.now();
  // Build beside the final directory and rename it into place, so that an interrupted or
  // concurrent build never leaves a half-filled cache entry behind.
  const staging = `${dir}.partial-${process.pid}`;
  await rm(staging, {recursive: true, force: true});
  await mkdir(join(staging, 'bin'), {recursive: true});
  try {
    const goVersion = (await go(['env', 'GOVERSION'], MODULES_DIR, env)).trim();
    const stagingBin = join(staging, 'bin');
    const k8sVersion = versions.kubernetes;
    const [major, minor] = k8sVersion.replace(/^v/, '').split('.');
    log(
      `building kube-apiserver, kube-controller-manager, kube-scheduler ${k8sVersion} with ${goVersion}…`,
    );
    await goBuild(
      'kubernetes',
      stagingBin,
      env,
      [
        `-X k8s.io/component-base/version.gitVersion=${k8sVersion}`,
        `-X k8s.io/component-base/version.gitMajor=${major ?? ''}`,
        `-X k8s.io/component-base/version.gitMinor=${minor ?? ''}`,
        '-X k8s.io/component-base/version.gitTreeState=clean',
        `-X k8s.io/component-base/version.buildDate=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
      ],
      [
        'k8s.io/kubernetes/cmd/kube-apiserver',
        'k8s.io/kubernetes/cmd/kube-controller-manager',
        'k8s.io/kubernetes/cmd/kube-scheduler',
      ],
    );
    log(`building etcd ${versions.etcd}…`);
    await goBuild('etcd', join(stagingBin, 'etcd'), env, [], ['go.etcd.io/etcd/server/v3']);
    log(`building kwok ${versions.kwok}…`);
    await goBuild(
      'kwok',
      stagingBin,
      env,
      [`-X sigs.k8s.io/kwok/pkg/consts.Version=${versions.kwok}`],
      ['sigs.k8s.io/kwok/cmd/kwok'],
    );
    const kwokSource = (
      await go(['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kwok'], modulePath('kwok'), env)
    ).trim();
    await mkdir(join(staging, 'kwok-crds'));
    for (const crd of KWOK_CRDS) {
      const file = `kwok.x-k8s.io_${crd}.yaml`;
      await copyFile(
        join(kwokSource, 'kustomize', 'crd', 'bases', file),
        join(staging, 'kwok-crds', file),
      );
    }
    const manifest: Manifest = {
      versions,
      goVersion,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, {recursive: true, force: true});
    await rename(staging, dir);
    log(`toolchain ready in ${manifest.buildSeconds}s: ${dir}`);
    return {...toolchainAt(dir, versions), built: true};
  } catch (err) {
    await rm(staging, {recursive: true, force: true});
    throw err;
  }
}

function modulePath(name: string): string {
  return join(MODULES_DIR, name);
}

/**
 * The cache directory is keyed by the pinned versions and a hash of every `go.mod`/`go.sum`,
 * so a change of pins builds anew while the old build stays usable by older checkouts.
 */
async function toolchainIdentity(
  env: NodeJS.ProcessEnv,
): Promise<{dir: string; versions: Toolchain['versions']}> {
  const hash = createHash('sha256');
  const versions = {kubernetes: '', etcd: '', kwok: ''};
  for (const [name, module] of [
    ['kubernetes', 'k8s.io/kubernetes'],
    ['etcd', 'go.etcd.io/etcd/server/v3'],
    ['kwok', 'sigs.k8s.io/kwok'],
  ] as const) {
    const goMod = await readFile(join(modulePath(name), 'go.mod'), 'utf8');
    hash.update(goMod).update(await readFile(join(modulePath(name), 'go.sum')));
    const pinned = new RegExp(
      `^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')} (v\\S+)`,
      'm',
    ).exec(goMod);
    if (!pinned?.[1])
      throw new TestingError(
        'ERR_TOOLCHAIN_BUILD_FAILED',
        `toolchain/${name}/go.mod does not pin ${module}`,
      );
    versions[name] = pinned[1];
  }
  const key = `k8s-${versions.kubernetes}-etcd-${versions.etcd}-kwok-${versions.kwok}-${hash.digest('hex').slice(0, 12)}`;
  return {dir: join(cacheRoot(env), 'toolchain', key), versions};
}

function toolchainAt(dir: string, versions: Toolchain['versions']): Toolchain {
  const bin = (name: string) => join(dir, 'bin', name);
  return {
    dir,
    versions,
    bin: {
      etcd: bin('etcd'),
      kubeApiserver: bin('kube-apiserver'),
      kubeControllerManager: bin('kube-controller-manager'),
      kubeScheduler: bin('kube-scheduler'),
      kwok: bin('kwok'),
    },
    kwokCrds: KWOK_CRDS.map((crd) => join(dir, 'kwok-crds', `kwok.x-k8s.io_${crd}.yaml`)),
  };
}

async function goBuild(
  module: string,
  output: string,
  env: NodeJS.ProcessEnv,
  ldflags: string[],
  packages: string[],
): Promise<void> {
  // -trimpath and no VCS stamping make the output depend on the pinned modules only;
  // -s -w drop symbol tables nobody reads from test binaries.
  await go(
    [
      'build',
      '-trimpath',
      '-buildvcs=false',
      '-mod=readonly',
      '-ldflags',
      ['-s', '-w', ...ldflags].join(' '),
      '-o',
      output,
      ...packages,
    ],
    modulePath(module),
    env,
  );
}

async function go(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const {stdout} = await run('go', args, {cwd, env, maxBuffer: 64 * 1024 * 1024});
    return stdout;
  } catch (err) {
    if ((err as {code?: unknown}).code === 'ENOENT') {
      throw new TestingError(
        'ERR_TOOLCHAIN_BUILD_FAILED',
        'Go is not installed: the test cluster is built from Go modules (Go 1.26 or newer)',
        {
          cause: err,
        },
      );
    }
    const detail =
      (err as {stderr?: string}).stderr?.trim().split('\n').slice(-20).join('\n') ?? '';
    throw new TestingError(
      'ERR_TOOLCHAIN_BUILD_FAILED',
      `go ${args[0] ?? ''} failed in toolchain/${cwd.split('/').pop() ?? ''}:\n${detail}`,
      {
        cause: err,
      },
    );
  }
}
