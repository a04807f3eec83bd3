// The example portal page's own script (portal.html): porthole-components.js defines the
// elements, and these few lines wire them to one another through their events — choosing a
// cluster shows its pods, choosing a pod its logs and a terminal in it. It imports nothing but
// types: the page could hold it inline.
import type {} from '../define.js';

const pods = document.querySelector('porthole-pod-table');
const logs = document.querySelector('porthole-logs');
const terminal = document.querySelector('porthole-terminal');
const where = document.querySelector('#pods-where');

document.addEventListener('porthole-cluster-select', (event) => {
  const {name} = event.detail.cluster;
  if (pods) {
    pods.cluster = name;
    pods.selected = undefined;
  }
  if (where) where.textContent = `in ${name}`;
  for (const element of [logs, terminal]) {
    if (element === null) continue;
    element.cluster = name;
    element.pod = undefined;
  }
});

document.addEventListener('porthole-pod-select', (event) => {
  const {cluster, namespace, name} = event.detail;
  if (pods) pods.selected = name;
  for (const element of [logs, terminal]) {
    if (element === null) continue;
    element.cluster = cluster;
    element.namespace = namespace;
    element.pod = name;
  }
});
