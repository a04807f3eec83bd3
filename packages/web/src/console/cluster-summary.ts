import {html, nothing} from 'lit';
import type {TemplateResult} from 'lit';

import type {Cluster} from '@porthole/core/control-plane';

import {lastSeen} from '../kube/age.js';

/** A cluster's facts under its name: agent and Kubernetes versions, nodes, last heartbeat. */
export function clusterFacts(cluster: Cluster | undefined, now: number): TemplateResult {
  if (cluster === undefined)
    return html`<dl class="meta" aria-busy="true">
      <div>
        <dt>Agent</dt>
        <dd><span class="skeleton"></span></dd>
      </div>
    </dl>`;
  return html`<dl class="meta">
    <div>
      <dt>Agent</dt>
      <dd class="mono">${cluster.agentVersion ?? '–'}</dd>
    </div>
    <div>
      <dt>Kubernetes</dt>
      <dd class="mono">${cluster.kubernetesVersion ?? '–'}</dd>
    </div>
    <div>
      <dt>Nodes</dt>
      <dd>${cluster.totalNodeCount ?? '–'}</dd>
    </div>
    <div>
      <dt>Last seen</dt>
      <dd>${lastSeen(cluster.lastConnectivityTime, now)}</dd>
    </div>
    ${
      cluster.agentErrors.length === 0
        ? nothing
        : html`<div>
            <dt>Agent reports</dt>
            <dd>${cluster.agentErrors.join('; ')}</dd>
          </div>`
    }
  </dl>`;
}
