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
    name: 'relay serve',
    summary: 'Run a Hybrid Connections–compatible relay',
    usage:
      'porthole relay serve [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--data-dir DIR] [--hybrid-connection NAME]... [--sas-key RULE=KEY]... [--dev-identity [--dev-identity-listen HOST:PORT] [--dev-identity-directory FILE]]',
    examples: [
      'porthole relay serve --listen 127.0.0.1:0 --hybrid-connection clusters/dev --sas-key dev=s3cret',
      'porthole relay serve --listen 0.0.0.0:443 --tls-cert relay.crt --tls-key relay.key --data-dir /var/lib/porthole',
      'porthole relay serve --dev-identity   # plus an Entra-shaped identity provider on 127.0.0.1:9351, for development',
    ],
    load: () => import('./commands/relay-serve.js'),
  },
  {
    name: 'agent run',
    summary: 'Run the cluster agent: serve kubectl through the relay',
    usage:
      'porthole agent run --relay URL --hybrid-connection NAME (--sas-key-name RULE --sas-key KEY | --relay-token TOKEN) [--kubeconfig FILE] [--context NAME] [--tunnel auto|mux|websocket] [--drain-timeout SECONDS] [--entra-tenant TENANT-ID --entra-audience SERVER-APP-ID [--entra-issuer URL] [--entra-user-name oid|upn] [--graph-client-id APP-ID [--graph-url URL] [--graph-token-url URL] [--graph-scope SCOPE]] [--role-assignments FILE]]',
    examples: [
      'PORTHOLE_SAS_KEY=… porthole agent run --relay wss://relay.example --hybrid-connection clusters/prod --sas-key-name agent',
      'porthole agent run --relay ws://127.0.0.1:9350 --hybrid-connection clusters/dev --sas-key-name dev --sas-key s3cret --kubeconfig ~/.kube/config',
      'PORTHOLE_GRAPH_CLIENT_SECRET=… porthole agent run --relay wss://relay.example --hybrid-connection clusters/prod --sas-key-name agent --entra-tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --entra-audience 6256c85f-0aad-4d50-b960-e6e9b21efe35 --graph-client-id 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    ],
    load: () => import('./commands/agent-run.js'),
  },
  {
    name: 'login',
    summary: 'Sign in to Microsoft Entra ID (or the embedded development provider) with MSAL',
    usage:
      'porthole login --client-id APP --server-app APP [--tenant TENANT | --authority URL] [--use-device-code | --service-principal (--secret SECRET | --certificate PEM) | --dev-user NAME [--password PASSWORD]]',
    examples: [
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
    name: 'get-token',
    summary: "Print the signed-in principal's token as a kubectl exec credential",
    usage: 'porthole get-token',
    examples: ['porthole get-token'],
    load: () => import('./commands/get-token.js'),
  },
  {
    name: 'proxy',
    summary:
      "Serve a cluster to kubectl on 127.0.0.1 and write a context for it (Arc's az connectedk8s proxy)",
    usage:
      'porthole proxy -n CLUSTER --relay URL [--hybrid-connection NAME] (--sas-key-name RULE --sas-key KEY | --relay-token TOKEN) [--token SA-TOKEN] [--port 47011] [-f KUBECONFIG|-] [--kube-context NAME] [--daemon] [--tunnel auto|mux|websocket]',
    examples: [
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
    summary: 'The bridge process itself (started by porthole proxy)',
    usage: 'porthole proxy serve [--port 47011]',
    examples: ['porthole proxy serve --port 47011'],
    load: () => import('./commands/proxy-serve.js'),
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
