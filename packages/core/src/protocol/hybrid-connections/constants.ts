/**
 * Numbers fixed by the Hybrid Connections protocol (hybrid-connections.md). Limits a relay may
 * tune are options of the relay, defaulting to these.
 */

/** WebSocket close codes the relay uses (§1.6). */
export const HcCloseCode = {
  /** The listener or the sender closed normally. */
  NORMAL: 1000,
  /** The hybrid connection was deleted or disabled, or the relay is shutting down. */
  GOING_AWAY: 1001,
  /** The token expired without a `renewToken`, or a renewal was invalid. */
  POLICY_VIOLATION: 1008,
  /** Something failed inside the relay. */
  INTERNAL_ERROR: 1011,
} as const;
export type HcCloseCode = (typeof HcCloseCode)[keyof typeof HcCloseCode];

/** The header that carries a SAS token on a handshake or an HTTP request (§1.1). */
export const SERVICE_BUS_AUTHORIZATION = 'ServiceBusAuthorization';

/** Request and response bodies up to this size travel over the control channel (§1.4). */
export const HC_CONTROL_CHANNEL_BODY_LIMIT = 64 * 1024;

/** Listeners per hybrid connection (§1.1). */
export const HC_MAX_LISTENERS = 25;

/** How long the relay waits for a listener's response to an HTTP request (§1.4). */
export const HC_RESPONSE_TIMEOUT_MS = 60_000;

/** How long a rendezvous address stays valid (§1.1: "valid ~30 s"). */
export const HC_RENDEZVOUS_TIMEOUT_MS = 30_000;
