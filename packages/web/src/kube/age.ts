/**
 * How long ago `since` was, as kubectl prints ages: `45s`, `12m`, `5h`, `3d`, `2y` — the
 * largest unit, rounded down. `-` when unknown, and `0s` for a time ahead of the clock.
 *
 * @param since an RFC 3339 time
 * @param now the time to measure to, in milliseconds
 * @example
 *   age('2024-01-01T00:00:00Z', Date.parse('2024-01-01T00:03:10Z')); // '3m'
 */
export function age(since: string | null | undefined, now: number): string {
  if (since === undefined || since === null) return '-';
  const then = Date.parse(since);
  if (Number.isNaN(then)) return '-';
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 730) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

const relative = new Intl.RelativeTimeFormat('en', {numeric: 'auto'});

/**
 * "Last seen" wording: `just now` within 10 s, then `2 minutes ago`; `never` when unknown.
 *
 * @param since an RFC 3339 time, or `null`
 * @param now in milliseconds
 */
export function lastSeen(since: string | null | undefined, now: number): string {
  if (since === undefined || since === null) return 'never';
  const then = Date.parse(since);
  if (Number.isNaN(then)) return 'never';
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 10) return 'just now';
  if (seconds < 60) return relative.format(-seconds, 'second');
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return relative.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return relative.format(-hours, 'hour');
  return relative.format(-Math.round(hours / 24), 'day');
}
