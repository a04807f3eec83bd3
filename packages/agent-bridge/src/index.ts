export {nodeWebSocketFactory} from './web-socket.js';
export type {NodeWebSocketOptions} from './web-socket.js';
