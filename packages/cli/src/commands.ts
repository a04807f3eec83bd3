import type {CommandDescriptor} from './command.js';

/** Every `porthole` verb, in the order `porthole --help` lists them. */
export const COMMANDS: readonly CommandDescriptor[] = [
  {
    name: 'version',
    summary: 'Print the version of porthole and of the runtime it runs on',
    usage: 'porthole version',
    examples: ['porthole version'],
    load: () => import('./commands/version.js'),
  },
  {
    name: 'up',
    summary:
      'Run everything here for a first look: relay, identity provider, a cluster, its agent, the bridge',
    usage:
      'porthole up [-n dev] [--kube-context CTX | --kubeconfig FILE | --dev-cluster] [--port 47011]',
    examples: [
      'porthole up',
      'porthole up --dev-cluster',
      'porthole up --kube-context kind-kind -n kind',
    ],
    load: () => import('./commands/up.js'),
  },
  {
    name: 'login',
    summary: 'Sign in to Microsoft Entra ID (or the embedded development provider) with MSAL',
    usage:
      'porthole login [--relay URL] [--client-id APP --server-app APP] [--tenant TENANT | --authority URL] [--use-device-code | --service-principal (--secret SECRET | --certificate PEM) | --dev-user NAME [--password PASSWORD]]',
    examples: [
      'porthole login --relay https://relay.example   # the relay says which tenant and apps',
      'porthole login --relay https://relay.example --use-device-code',
      'porthole login --tenant contoso.onmicrosoft.com --client-id 04b07795-8ddb-461a-bbee-02f9e1bf7b46 --server-app 6256c85f-0aad-4d50-b960-e6e9b21efe35',
      'porthole login --use-device-code --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --client-id … --server-app …',
      'porthole login --service-principal --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --client-id … --secret … --server-app …',
      'porthole login --authority https://127.0.0.1:8443/<tenant>/v2.0 --dev-user ada --client-id … --server-app …',
    ],
    load: () => import('./commands/login.js'),
  },
  {
    name: 'logout',
    summary: 'Sign out: forget the account and its cached tokens',
    usage: 'porthole logout',
    examples: ['porthole logout'],
    load: () => import('./commands/logout.js'),
  },
  {
    name: 'account show',
    summary: 'Show who is signed in',
    usage: 'porthole account show [-o table|json|yaml|tsv] [--query JMESPATH]',
    examples: [
      'porthole account show',
      'porthole account show -o json',
      'porthole account show --query objectId -o tsv',
    ],
    load: () => import('./commands/account-show.js'),
  },
  {
    name: 'connect',
    summary:
      "Register a cluster and print (or apply) its agent's manifest (Arc's az connectedk8s connect)",
    usage:
      'porthole connect -n NAME [--apply [--kube-context CTX] [--kubeconfig FILE] [--timeout SECONDS]] [--regenerate-credential] [--image IMAGE] [--namespace porthole-system] [--replicas 1] [--proxy-https URL [--proxy-skip-range LIST] [--proxy-cert FILE]] [--relay URL] [-o table|json|yaml|tsv] [--query JMESPATH] [--debug]',
    examples: [
      'porthole connect -n prod --apply --kube-context prod-admin',
      'porthole connect -n prod > porthole-agent.yaml   # the manifest holds the agent credential: keep it safe',
      'porthole connect -n edge-7 --apply --timeout 600 -o json',
      'porthole connect -n branch-3 --apply --proxy-https http://proxy.corp.example:3128 --proxy-skip-range .corp.example,10.0.0.0/8 --proxy-cert corp-ca.pem',
    ],
    load: () => import('./commands/connect.js'),
  },
  {
    name: 'show',
    summary:
      'Show a cluster: connectivity, agent and Kubernetes versions, node count, last heartbeat',
    usage: 'porthole show -n NAME [--relay URL] [-o table|json|yaml|tsv] [--query JMESPATH]',
    examples: [
      'porthole show -n prod',
      'porthole show -n prod -o json',
      'porthole show -n prod --query connectivityStatus -o tsv',
    ],
    load: () => import('./commands/show.js'),
  },
  {
    name: 'list',
    summary: 'List the clusters you hold a role on (all of them for relay administrators)',
    usage: 'porthole list [--relay URL] [-o table|json|yaml|tsv] [--query JMESPATH]',
    examples: [
      'porthole list',
      'porthole list -o json',
      'porthole list --query "[?connectivityStatus!=\'Connected\'].name" -o tsv',
    ],
    load: () => import('./commands/list.js'),
  },
  {
    name: 'delete',
    summary: 'Delete a cluster: revoke its agent credential and remove the agent when reachable',
    usage:
      'porthole delete -n NAME [--yes] [--kube-context CTX] [--kubeconfig FILE] [--namespace porthole-system] [--relay URL]',
    examples: [
      'porthole delete -n prod',
      'porthole delete -n prod --yes --kube-context prod-admin',
    ],
    load: () => import('./commands/delete.js'),
  },
  {
    name: 'console',
    summary:
      'Open the web console, served by your local bridge; its "Use from kubectl" hands a cluster to kubectl',
    usage: 'porthole console [--relay URL] [--port 47011] [--console-dir DIR] [--no-open]',
    examples: [
      'porthole console   # the relay you signed in to with porthole login --relay',
      'porthole console --relay https://relay.example --no-open',
    ],
    load: () => import('./commands/console.js'),
  },
  {
    name: 'proxy',
    summary:
      "Serve a cluster to kubectl on 127.0.0.1 and write a context for it (Arc's az connectedk8s proxy)",
    usage:
      'porthole proxy -n CLUSTER [--relay URL] [--hybrid-connection NAME (--sas-key-name RULE --sas-key KEY | --relay-token TOKEN)] [--token SA-TOKEN] [--port 47011] [-f KUBECONFIG|-] [--kube-context NAME] [--daemon] [--tunnel auto|mux|websocket]',
    examples: [
      'porthole proxy -n prod   # signed in with porthole login --relay: credentials from the control plane, renewed',
      'porthole proxy -n prod --relay wss://relay.example --sas-key-name user --sas-key … --token "$SA_TOKEN"',
      'porthole proxy -n prod --relay wss://relay.example --relay-token "$RELAY_TOKEN" -f ~/.kube/config --daemon',
      'porthole proxy -n prod --relay wss://relay.example --sas-key-name user   # signed in: kubectl gets tokens from porthole get-token',
    ],
    load: () => import('./commands/proxy.js'),
  },
  {
    name: 'proxy status',
    summary: 'Show the running bridge and the clusters it serves',
    usage: 'porthole proxy status [--port 47011] [-o table|json|yaml|tsv] [--query JMESPATH]',
    examples: ['porthole proxy status', 'porthole proxy status -o json'],
    load: () => import('./commands/proxy-status.js'),
  },
  {
    name: 'proxy stop',
    summary: 'Stop the bridge and remove the contexts it wrote',
    usage: 'porthole proxy stop [--port 47011]',
    examples: ['porthole proxy stop'],
    load: () => import('./commands/proxy-stop.js'),
  },
  {
    name: 'proxy serve',
    summary: 'The bridge process itself (started by porthole proxy and porthole console)',
    usage: 'porthole proxy serve [--port 47011] [--console-dir DIR]',
    examples: ['porthole proxy serve --port 47011'],
    load: () => import('./commands/proxy-serve.js'),
  },
  {
    name: 'trust',
    summary:
      "Make your browsers trust the bridge's CA, name-constrained to 127.0.0.1, ::1, localhost and *.bridge.porthole.internal",
    usage: 'porthole trust [--uninstall | --print]',
    examples: [
      'porthole trust   # Linux: into $HOME/.pki/nssdb, for Chromium and Chrome; macOS, Windows: prints the command',
      'porthole trust --print   # which CA: its file and SHA-256 fingerprint',
      'porthole trust --uninstall',
    ],
    load: () => import('./commands/trust.js'),
  },
  {
    name: 'role assignment create',
    summary: 'Give a user, group or service principal a built-in role on a cluster or namespace',
    usage:
      'porthole role assignment create --cluster NAME --role Viewer|Writer|Admin|"Cluster Admin"|"Cluster User" --assignee OBJECT-ID [--assignee-type User|Group|ServicePrincipal] [--namespace NS] [--relay URL] [-o table|json|yaml|tsv]',
    examples: [
      'porthole role assignment create --cluster prod --role "Cluster User" --assignee 9f1c2d3e-4b5a-6978-8796-a5b4c3d2e1f0',
      'porthole role assignment create --cluster prod --role Viewer --namespace web --assignee 0a1b2c3d-4e5f-6789-abcd-ef0123456789 --assignee-type Group',
    ],
    load: () => import('./commands/role-assignment-create.js'),
  },
  {
    name: 'role assignment list',
    summary: "List a cluster's role assignments",
    usage:
      'porthole role assignment list --cluster NAME [--relay URL] [-o table|json|yaml|tsv] [--query JMESPATH]',
    examples: [
      'porthole role assignment list --cluster prod',
      'porthole role assignment list --cluster prod -o json',
    ],
    load: () => import('./commands/role-assignment-list.js'),
  },
  {
    name: 'role assignment delete',
    summary: 'Remove a role assignment',
    usage: 'porthole role assignment delete --cluster NAME --id ID [--relay URL]',
    examples: [
      'porthole role assignment delete --cluster prod --id 3c7e9a52-1f0b-4d6e-8a2c-5b9d0e1f2a3b',
    ],
    load: () => import('./commands/role-assignment-delete.js'),
  },
  {
    name: 'doctor',
    summary: 'Check, step by step, the way to a cluster and say what is wrong and what to do',
    usage: 'porthole doctor -n NAME [--relay URL] [--debug]',
    examples: [
      'porthole doctor -n prod',
      'HTTPS_PROXY=http://proxy.corp:3128 porthole doctor -n prod',
    ],
    load: () => import('./commands/doctor.js'),
  },
  {
    name: 'relay serve',
    summary: 'Run a Hybrid Connections–compatible relay',
    usage:
      'porthole relay serve [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--data-dir DIR] [--database-url URL] [--hybrid-connection NAME]... [--sas-key RULE=KEY]... [--dev-identity [--dev-identity-listen HOST:PORT] [--dev-identity-directory FILE] | --entra-tenant ID --entra-audience APP [--entra-issuer URL]... [--entra-client-id APP] [--entra-console-client-id APP] [--graph-client-id APP-ID [--graph-url URL] [--graph-token-url URL] [--graph-scope SCOPE]]] [--admin OBJECT-ID]... [--public-url URL] [--cors-origin ORIGIN]... [--offline-after SECONDS] [--heartbeat-interval SECONDS] [--sender-token-lifetime SECONDS] [--agent-credential-lifetime SECONDS] [--console-dir DIR]',
    examples: [
      'porthole relay serve --listen 127.0.0.1:0 --hybrid-connection clusters/dev --sas-key dev=s3cret',
      'porthole relay serve --listen 0.0.0.0:443 --tls-cert relay.crt --tls-key relay.key --data-dir /var/lib/porthole',
      'porthole relay serve --dev-identity   # plus an Entra-shaped identity provider on 127.0.0.1:9351, for development',
      'PORTHOLE_GRAPH_CLIENT_SECRET=… porthole relay serve --entra-tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --entra-audience 6256c85f-0aad-4d50-b960-e6e9b21efe35 --graph-client-id 1a2b3c4d-5e6f-4789-8abc-def012345678   # groups of users in over 200 from Graph',
      'PORTHOLE_DATABASE_URL=postgres://relay:…@db.internal/porthole porthole relay serve --listen 0.0.0.0:443 --tls-cert relay.crt --tls-key relay.key   # relays sharing one database',
    ],
    load: () => import('./commands/relay-serve.js'),
  },
  {
    name: 'agent run',
    summary: 'Run the cluster agent: serve kubectl through the relay',
    usage:
      'porthole agent run --relay URL (--cluster NAME [--agent-key-file FILE | --credential-secret NAMESPACE/NAME] | --hybrid-connection NAME (--sas-key-name RULE --sas-key KEY | --relay-token TOKEN) [--entra-tenant TENANT-ID --entra-audience SERVER-APP-ID [--entra-issuer URL] [--role-assignments FILE]]) [--kubeconfig FILE] [--context NAME] [--tunnel auto|mux|websocket] [--drain-timeout SECONDS] [--entra-user-name oid|upn] [--graph-client-id APP-ID [--graph-url URL] [--graph-token-url URL] [--graph-scope SCOPE]]',
    examples: [
      'PORTHOLE_AGENT_KEY=… porthole agent run --relay https://relay.example --cluster prod   # in a pod: rotated keys go to Secret porthole-system/porthole-agent',
      'porthole agent run --relay http://127.0.0.1:9350 --cluster dev --kubeconfig ~/.kube/config --agent-key-file ~/.porthole/agent-key',
      'PORTHOLE_SAS_KEY=… porthole agent run --relay wss://relay.example --hybrid-connection clusters/prod --sas-key-name agent',
      'porthole agent run --relay ws://127.0.0.1:9350 --hybrid-connection clusters/dev --sas-key-name dev --sas-key s3cret --kubeconfig ~/.kube/config',
      'PORTHOLE_GRAPH_CLIENT_SECRET=… porthole agent run --relay wss://relay.example --hybrid-connection clusters/prod --sas-key-name agent --entra-tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --entra-audience 6256c85f-0aad-4d50-b960-e6e9b21efe35 --graph-client-id 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    ],
    load: () => import('./commands/agent-run.js'),
  },
  {
    name: 'get-token',
    summary: "Print the signed-in principal's token as a kubectl exec credential",
    usage: 'porthole get-token',
    examples: ['porthole get-token'],
    load: () => import('./commands/get-token.js'),
  },
  {
    name: 'completion',
    summary: 'Print the shell completion script',
    usage: 'porthole completion bash',
    examples: [
      'source <(porthole completion bash)',
      'autoload -U bashcompinit && bashcompinit && source <(porthole completion bash)   # zsh',
    ],
    load: () => import('./commands/completion.js'),
  },
  {
    name: '__complete',
    summary: 'Completion candidates for the shell script',
    usage: 'porthole __complete WORD...',
    examples: ['porthole __complete proxy --p'],
    hidden: true,
    load: () => import('./commands/complete.js'),
  },
];
