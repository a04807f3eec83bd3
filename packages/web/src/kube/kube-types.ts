import type {KubeObject} from '@porthole/core/kube';

/** The parts of a container's state the console shows (core/v1 `ContainerState`). */
export interface ContainerState {
  waiting?: {reason?: string; message?: string};
  running?: {startedAt?: string};
  terminated?: {reason?: string; exitCode?: number; signal?: number; finishedAt?: string};
}

/** core/v1 `ContainerStatus`, loosely. */
export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** core/v1 `Pod`, the fields the console reads. */
export interface Pod extends KubeObject {
  metadata?: KubeObject['metadata'] & {
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec?: {
    nodeName?: string;
    containers?: {name: string; image?: string}[];
    initContainers?: {name: string}[];
  };
  status?: {
    phase?: string;
    reason?: string;
    podIP?: string;
    startTime?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/** core/v1 `Event` (and the fields events.k8s.io/v1 adds), the parts the console reads. */
export interface KubeEvent extends KubeObject {
  metadata?: KubeObject['metadata'] & {creationTimestamp?: string};
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  involvedObject?: {kind?: string; name?: string; namespace?: string};
  source?: {component?: string};
}

/** core/v1 `Namespace`. */
export interface Namespace extends KubeObject {
  status?: {phase?: string};
}

/** The core/v1 resources the console lists. */
export const PODS = {apiVersion: 'v1', resource: 'pods'} as const;
export const EVENTS = {apiVersion: 'v1', resource: 'events'} as const;
export const NAMESPACES = {apiVersion: 'v1', resource: 'namespaces'} as const;
