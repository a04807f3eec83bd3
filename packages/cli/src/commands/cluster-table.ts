import type {Cluster} from '@porthole/core/control-plane';

/** The table `porthole list` and `show` print for people. */
export function clusterTable(clusters: readonly Cluster[]): string[][] {
  return [
    ['Name', 'Connectivity', 'Agent', 'Kubernetes', 'Nodes', 'Last seen'],
    ...clusters.map((cluster) => [
      cluster.name,
      cluster.connectivityStatus,
      cluster.agentVersion ?? '',
      cluster.kubernetesVersion ?? '',
      cluster.totalNodeCount === null ? '' : String(cluster.totalNodeCount),
      cluster.lastConnectivityTime ?? 'never',
    ]),
  ];
}
