/**
 * The kubeconfig Arc's `listClusterUserCredential` returns, for a local bridge on its default
 * port: `porthole proxy` writes the real one, with the bridge's CA. An Entra user's credential
 * comes from `porthole get-token`; with a service-account token the user entry is left to fill.
 */
export function proxyKubeconfig(cluster: string, method: 'AAD' | 'Token'): string {
  const name = `porthole-${cluster}`;
  const user =
    method === 'AAD'
      ? {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'porthole',
            args: ['get-token'],
            interactiveMode: 'Never',
          },
        }
      : {};
  // JSON is YAML: kubectl reads it as it is.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{name, cluster: {server: `https://127.0.0.1:47011/clusters/${cluster}`}}],
      users: [{name, user}],
      contexts: [{name, context: {cluster: name, user: name}}],
      'current-context': name,
    },
    null,
    2,
  );
}
