import type {WebSocket} from 'ws';

/** Pings a peer must miss in a row before the relay drops it (hybrid-connections.md §1.5). */
const MISSED_PINGS_ALLOWED = 2;

/**
 * WebSocket-level keepalive: the relay pings every `intervalMs` and terminates a peer that
 * has answered nothing — no pong, no ping, no message — for two pings. Listeners that sit
 * behind NATs stay mapped, and dead ones stop receiving work (Azure/azure-relay#33).
 */
export class KeepAlive {
  readonly #timer: NodeJS.Timeout;
  #missed = 0;

  constructor(socket: WebSocket, intervalMs: number, onDead: () => void) {
    const alive = () => {
      this.#missed = 0;
    };
    socket.on('pong', alive);
    socket.on('ping', alive);
    socket.on('message', alive);
    this.#timer = setInterval(() => {
      if (this.#missed >= MISSED_PINGS_ALLOWED) {
        this.stop();
        onDead();
        socket.terminate();
        return;
      }
      this.#missed++;
      socket.ping();
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
