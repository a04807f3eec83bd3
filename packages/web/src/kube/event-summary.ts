import {age} from './age.js';
import type {KubeEvent} from './kube-types.js';
import type {Tone} from './tone.js';

/** An event as one row of a table, as `kubectl events` tells it. */
export interface EventSummary {
  key: string;
  /** `Normal` or `Warning`. */
  type: string;
  tone: Tone;
  reason: string;
  /** `Pod/web-0`. */
  object: string;
  message: string;
  count: number;
  /** Since it last happened. */
  age: string;
  /** For sorting: when it last happened, in milliseconds. */
  time: number;
}

/**
 * Sums an event up: when it last happened (`lastTimestamp`, or `eventTime` for events.k8s.io
 * ones, or its creation), how often, and about what.
 */
export function eventSummary(event: KubeEvent, now: number): EventSummary {
  const when =
    event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp ?? undefined;
  const type = event.type ?? 'Normal';
  const {kind, name} = event.involvedObject ?? {};
  return {
    key: event.metadata?.uid ?? `${event.metadata?.namespace ?? ''}/${event.metadata?.name ?? ''}`,
    type,
    tone: type === 'Warning' ? 'warning' : 'neutral',
    reason: event.reason ?? '',
    object: `${kind ?? '?'}/${name ?? '?'}`,
    message: event.message ?? '',
    count: event.count ?? 1,
    age: age(when, now),
    time: when === undefined ? 0 : Date.parse(when) || 0,
  };
}
