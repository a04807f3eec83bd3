import {BridgeHandoff} from '../api/bridge-handoff.js';

/**
 * The local bridge that serves this console, when `porthole console` opened it; `undefined` on
 * the relay's console. Read once as the console loads, before its router sees the fragment
 * that carries the session's secret.
 */
export const bridgeSession: BridgeHandoff | undefined = BridgeHandoff.fromPage();
