#!/usr/bin/env node
/**
 * The development cluster for people:
 *
 *   cluster run  [--dir DIR]  start it in the foreground; Ctrl-C stops it
 *   cluster up                start it in the background (`npm run cluster:up`); the last line
 *                             printed is the admin kubeconfig's path
 *   cluster down              stop it (`npm run cluster:down`)
 *
 * The background cluster lives in `$PORTHOLE_HOME/dev-cluster` (default `~/.porthole`), with
 * `state.json` naming the PID of its runner and of every component.
 */
import {spawn} from 'node:child_process';
import {closeSync, openSync} from 'node:fs';
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

import {startTestCluster} from '../cluster/test-cluster.js';

interface State {
  runnerPid: number;
  kubeconfigPath: string;
  server: string;
  pids: Record<string, number>;
}

const home = process.env.PORTHOLE_HOME || join(homedir(), '.porthole');
const devDir = join(home, 'dev-cluster');
const statePath = join(home, 'dev-cluster.json');
const runnerLog = join(home, 'dev-cluster.log');
const say = (line: string) => process.stderr.write(`${line}\n`);

async function runCluster(dir: string | undefined): Promise<number> {
  const started = Date.now();
  const cluster = await startTestCluster({
    ...(dir === undefined ? {} : {dir}),
    log: (line) => say(`cluster: ${line}`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (dir !== undefined) {
    const state: State = {
      runnerPid: process.pid,
      kubeconfigPath: cluster.kubeconfigPath,
      server: cluster.server,
      pids: cluster.pids,
    };
    await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
  }
  say(
    `Kubernetes ${cluster.versions.kubernetes} is ready at ${cluster.server} (started in ${seconds}s).`,
  );
  say(`Try: kubectl --kubeconfig ${cluster.kubeconfigPath} get nodes`);
  process.stdout.write(`${cluster.kubeconfigPath}\n`);

  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const outcome = await Promise.race([signalled, cluster.crashed]);
  await cluster.stop();
  if (dir !== undefined) await rm(statePath, {force: true});
  if (typeof outcome === 'string') {
    say(`cluster: stopped (${outcome})`);
    return 0;
  }
  say(`cluster: ${outcome.message}`);
  return 1;
}

async function up(): Promise<number> {
  const running = await readState();
  if (running) {
    say(`The development cluster is already running at ${running.server}.`);
    process.stdout.write(`${running.kubeconfigPath}\n`);
    return 0;
  }
  await rm(devDir, {recursive: true, force: true});
  await mkdir(home, {recursive: true, mode: 0o700});
  const log = openSync(runnerLog, 'w', 0o600);
  const runner = spawn(process.execPath, [fileURLToPath(import.meta.url), 'run', '--dir', devDir], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exitCode: number | null | undefined;
  runner.once('exit', (code) => (exitCode = code));
  runner.unref();
  say(`Starting the development cluster (log: ${runnerLog})…`);
  for (;;) {
    const state = await readState();
    if (state) {
      say(
        `The development cluster is ready at ${state.server}. Stop it with: npm run cluster:down`,
      );
      process.stdout.write(`${state.kubeconfigPath}\n`);
      return 0;
    }
    if (exitCode !== undefined) {
      say(`The development cluster did not start (exit code ${exitCode}); ${runnerLog} ends:`);
      say((await readFile(runnerLog, 'utf8')).trimEnd().split('\n').slice(-20).join('\n'));
      return 1;
    }
    await sleep(200);
  }
}

async function down(): Promise<number> {
  const state = await readState();
  if (!state) {
    say('No development cluster is running.');
    return 0;
  }
  process.kill(state.runnerPid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await isOurs(state.runnerPid))) await sleep(100);
  // A runner that did not stop in time leaves its components to us.
  for (const pid of [state.runnerPid, ...Object.values(state.pids)]) {
    if (await isOurs(pid)) process.kill(pid, 'SIGKILL');
  }
  await rm(devDir, {recursive: true, force: true});
  await rm(statePath, {force: true});
  say('The development cluster is stopped.');
  return 0;
}

/** The state of a running background cluster, or `undefined` if there is none (any more). */
async function readState(): Promise<State | undefined> {
  let state: State;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as State;
  } catch {
    return undefined;
  }
  if (await isOurs(state.runnerPid)) return state;
  await rm(statePath, {force: true});
  return undefined;
}

/**
 * Whether `pid` is a live process that we started: the runner or one of its components, all
 * of which have the cluster directory or this script on their command line. A recycled PID
 * belongs to someone else and is never signalled.
 */
async function isOurs(pid: number): Promise<boolean> {
  try {
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes(devDir);
  } catch {
    return false;
  }
}

const {positionals, values} = parseArgs({allowPositionals: true, options: {dir: {type: 'string'}}});
const commands: Record<string, () => Promise<number>> = {
  run: () => runCluster(values.dir),
  up,
  down,
};
const command = commands[positionals[0] ?? ''];
if (!command) {
  say('usage: cluster run [--dir DIR] | up | down');
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await command();
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
