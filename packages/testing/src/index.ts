export {TestingError} from './errors.js';
export type {TestingErrorCode} from './errors.js';

export {startTestCluster} from './cluster/test-cluster.js';
export type {TestCluster, TestClusterOptions} from './cluster/test-cluster.js';
export {criLogLines} from './cluster/kwok.js';
export {kubectl, kubectlPath} from './kubectl.js';
export type {KubectlBinary, KubectlResult} from './kubectl.js';
export {serviceAccountToken} from './service-account.js';
export {startSharedCluster} from './shared-cluster.js';
export type {SharedCluster} from './shared-cluster.js';
export {LineProcess} from './line-process.js';
export {formatTable, rssMiB, spread} from './measure.js';
export type {Spread} from './measure.js';

export {buildToolchain, cacheRoot, locateToolchain} from './toolchain.js';
export type {BuildLog, Toolchain} from './toolchain.js';
export {httpsRequest, Page, signInWithForm, UserAgent} from './user-agent.js';
export type {Form, HttpsResponse} from './user-agent.js';
export {freePort} from './cluster/ports.js';
export {startForwardProxy, startProxyOnlyGate} from './forward-proxy.js';
export type {ForwardProxyOptions, ProxyOnlyGate, TestForwardProxy} from './forward-proxy.js';
export {openApiValidator} from './openapi.js';
export type {OpenApiValidator} from './openapi.js';
export {scratchDatabase, TEST_POSTGRES_URL} from './scratch-database.js';
export type {ScratchDatabase} from './scratch-database.js';
