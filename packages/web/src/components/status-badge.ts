import {html} from 'lit';
import type {TemplateResult} from 'lit';

import type {ConnectivityStatus} from '@porthole/core/control-plane';

import type {Tone} from '../kube/tone.js';

/**
 * A status as a coloured dot and its text: the text carries the meaning, the colour only
 * helps. Parts: `status` and `status-<tone>` (`ok`, `progress`, `warning`, `danger`, `neutral`).
 */
export function statusBadge(text: string, tone: Tone): TemplateResult {
  return html`<span class="badge tone-${tone}" part="status status-${tone}"
    ><span class="dot" aria-hidden="true"></span>${text}</span
  >`;
}

const CONNECTIVITY_TONES: Readonly<Record<ConnectivityStatus, Tone>> = {
  Connected: 'ok',
  Connecting: 'progress',
  Offline: 'danger',
  Expired: 'warning',
};

/** A cluster's connectivity status as a badge. */
export function connectivityBadge(status: ConnectivityStatus): TemplateResult {
  return statusBadge(status, CONNECTIVITY_TONES[status]);
}
