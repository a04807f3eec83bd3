import {age} from './age.js';
import type {ContainerStatus, Pod} from './kube-types.js';
import type {Tone} from './tone.js';

/** A pod as one row of a table, as `kubectl get pods -o wide` tells it. */
export interface PodSummary {
  name: string;
  namespace: string;
  /** `Running`, `Pending`, `Completed`, `CrashLoopBackOff`, `Init:0/1`, `Terminating`, … */
  status: string;
  tone: Tone;
  /** Ready containers out of all, e.g. `1/2`. */
  ready: string;
  restarts: number;
  age: string;
  /** `-` before the pod is scheduled. */
  node: string;
  containers: string[];
}

const DANGER = new Set([
  'Failed',
  'Error',
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'OOMKilled',
  'ContainerCannotRun',
  'Evicted',
]);
const OK = new Set(['Running', 'Succeeded']);
const NEUTRAL = new Set(['Completed', 'Terminating', 'Unknown']);

/**
 * Sums a pod up for a table: the status kubectl would print (the first reason that explains
 * a pod that is not simply Running), ready containers, restarts, age and node.
 *
 * @param pod the pod
 * @param now the time ages are measured to, in milliseconds
 */
export function podSummary(pod: Pod, now: number): PodSummary {
  const containers = pod.status?.containerStatuses ?? [];
  const specContainers = pod.spec?.containers ?? [];
  const total = Math.max(specContainers.length, containers.length);
  const ready = containers.filter((container) => container.ready === true).length;
  const restarts = [...containers, ...(pod.status?.initContainerStatuses ?? [])].reduce(
    (sum, container) => sum + (container.restartCount ?? 0),
    0,
  );
  const status = podStatus(pod);
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    status,
    tone: toneOf(status),
    ready: `${ready}/${total}`,
    restarts,
    age: age(pod.metadata?.creationTimestamp, now),
    node: pod.spec?.nodeName ?? '-',
    containers: specContainers.map((container) => container.name),
  };
}

/** The status word of a pod, in kubectl's order of precedence. */
export function podStatus(pod: Pod): string {
  if (pod.metadata?.deletionTimestamp !== undefined)
    return pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const initializing = initStatus(pod);
  if (initializing !== undefined) return initializing;
  let reason = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  let running = false;
  for (const container of [...(pod.status?.containerStatuses ?? [])].reverse()) {
    const explained = containerReason(container);
    if (explained !== undefined) reason = explained;
    else if (container.state?.running !== undefined && container.ready === true) running = true;
  }
  // A pod whose other containers are done but one still serves is Running.
  if (reason === 'Completed' && running) return 'Running';
  return reason;
}

function initStatus(pod: Pod): string | undefined {
  const statuses = pod.status?.initContainerStatuses ?? [];
  const total = pod.spec?.initContainers?.length ?? statuses.length;
  for (const [index, container] of statuses.entries()) {
    const {terminated, waiting} = container.state ?? {};
    if (terminated?.exitCode === 0) continue;
    if (terminated !== undefined)
      return `Init:${terminated.reason ?? (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? '?'}`)}`;
    if (waiting?.reason !== undefined && waiting.reason !== 'PodInitializing')
      return `Init:${waiting.reason}`;
    return `Init:${index}/${total}`;
  }
  return undefined;
}

function containerReason(container: ContainerStatus): string | undefined {
  const {waiting, terminated} = container.state ?? {};
  if (waiting?.reason !== undefined) return waiting.reason;
  if (terminated !== undefined) {
    if (terminated.reason !== undefined) return terminated.reason;
    return terminated.signal
      ? `Signal:${terminated.signal}`
      : `ExitCode:${terminated.exitCode ?? '?'}`;
  }
  return undefined;
}

/** The colour family of a pod status. */
export function toneOf(status: string): Tone {
  if (OK.has(status)) return 'ok';
  if (NEUTRAL.has(status)) return 'neutral';
  if (
    DANGER.has(status) ||
    /^(Init:)?(Signal|ExitCode):/.test(status) ||
    status.startsWith('Init:Err') ||
    status.startsWith('Init:Crash')
  )
    return 'danger';
  return 'warning';
}
