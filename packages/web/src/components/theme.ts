import {css} from 'lit';

/**
 * The look every element shares. Pages theme them with these custom properties, which pierce
 * shadow roots (each has a default):
 *
 * - `--porthole-font-family`, `--porthole-font-size` (14px), `--porthole-mono-font-family`
 * - `--porthole-color-text`, `--porthole-color-muted`, `--porthole-color-background`,
 *   `--porthole-color-surface`, `--porthole-color-border`
 * - `--porthole-color-accent` (buttons, links, focus), `--porthole-color-on-accent`
 * - `--porthole-color-ok`, `--porthole-color-progress`, `--porthole-color-warning`,
 *   `--porthole-color-danger`, `--porthole-color-neutral` (status colours; text labels always
 *   go with them)
 * - `--porthole-radius` (6px), `--porthole-space` (8px, the spacing unit)
 */
export const theme = css`
  :host {
    --_font: var(
      --porthole-font-family,
      system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      'Helvetica Neue',
      Arial,
      sans-serif
    );
    --_mono: var(
      --porthole-mono-font-family,
      ui-monospace,
      'SFMono-Regular',
      'Cascadia Mono',
      'DejaVu Sans Mono',
      Menlo,
      monospace
    );
    --_size: var(--porthole-font-size, 14px);
    --_text: var(--porthole-color-text, #1f2328);
    --_muted: var(--porthole-color-muted, #59636e);
    --_background: var(--porthole-color-background, #ffffff);
    --_surface: var(--porthole-color-surface, #f6f8fa);
    --_border: var(--porthole-color-border, #d1d9e0);
    --_accent: var(--porthole-color-accent, #0b5cd5);
    --_on-accent: var(--porthole-color-on-accent, #ffffff);
    --_ok: var(--porthole-color-ok, #1a7f37);
    --_progress: var(--porthole-color-progress, #0969da);
    --_warning: var(--porthole-color-warning, #9a6700);
    --_danger: var(--porthole-color-danger, #cf222e);
    --_neutral: var(--porthole-color-neutral, #6e7781);
    --_radius: var(--porthole-radius, 6px);
    --_space: var(--porthole-space, 8px);
    display: block;
    font-family: var(--_font);
    font-size: var(--_size);
    line-height: 1.5;
    color: var(--_text);
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  button,
  .button {
    display: inline-flex;
    align-items: center;
    gap: calc(var(--_space) * 0.75);
    min-height: 32px;
    padding: 0 calc(var(--_space) * 1.5);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_background);
    color: var(--_text);
    font: inherit;
    font-weight: 500;
    line-height: 1;
    white-space: nowrap;
    text-decoration: none;
    cursor: pointer;
    transition:
      background-color 80ms,
      border-color 80ms;
  }
  button:hover,
  .button:hover {
    background: var(--_surface);
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
  button.primary {
    border-color: var(--_accent);
    background: var(--_accent);
    color: var(--_on-accent);
  }
  button.primary:hover {
    background: color-mix(in srgb, var(--_accent) 88%, black);
  }
  button.danger {
    color: var(--_danger);
  }
  button.danger.primary {
    border-color: var(--_danger);
    background: var(--_danger);
    color: #fff;
  }
  button.quiet {
    border-color: transparent;
    background: transparent;
  }
  button.quiet:hover {
    background: var(--_surface);
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }

  input,
  select {
    min-height: 32px;
    padding: 0 var(--_space);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_background);
    color: var(--_text);
    font: inherit;
  }
  label {
    font-weight: 500;
  }

  a {
    color: var(--_accent);
    text-decoration: none;
  }
  a:hover {
    text-decoration: underline;
  }

  .table-frame {
    overflow-x: auto;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_background);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  caption {
    padding: 0;
    text-align: left;
  }
  th,
  td {
    padding: calc(var(--_space) * 0.875) calc(var(--_space) * 1.5);
    border-bottom: 1px solid var(--_border);
    text-align: left;
    vertical-align: middle;
    white-space: nowrap;
  }
  thead th {
    background: var(--_surface);
    color: var(--_muted);
    font-size: 0.786em;
    font-weight: 600;
    letter-spacing: 0.04em;
    text-transform: uppercase;
  }
  tbody th {
    font-weight: 600;
  }
  tbody tr:last-child > * {
    border-bottom: 0;
  }
  tbody tr:hover > * {
    background: color-mix(in srgb, var(--_surface) 60%, transparent);
  }
  tbody tr.selected > * {
    background: color-mix(in srgb, var(--_accent) 8%, var(--_background));
  }
  td.number,
  th.number {
    text-align: right;
  }
  td.actions {
    width: 1%;
    text-align: right;
  }
  .muted {
    color: var(--_muted);
  }
  .mono {
    font-family: var(--_mono);
    font-size: 0.93em;
  }

  .badge {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    padding: 1px 8px 1px 7px;
    border-radius: 999px;
    background: color-mix(in srgb, var(--_tone) 12%, transparent);
    color: color-mix(in srgb, var(--_tone) 85%, black);
    font-size: 0.857em;
    font-weight: 600;
    line-height: 1.6;
  }
  .badge .dot {
    width: 7px;
    height: 7px;
    flex: none;
    border-radius: 50%;
    background: var(--_tone);
  }
  .tone-ok {
    --_tone: var(--_ok);
  }
  .tone-progress {
    --_tone: var(--_progress);
  }
  .tone-warning {
    --_tone: var(--_warning);
  }
  .tone-danger {
    --_tone: var(--_danger);
  }
  .tone-neutral {
    --_tone: var(--_neutral);
  }

  .message {
    padding: calc(var(--_space) * 3) calc(var(--_space) * 2);
    color: var(--_muted);
    text-align: center;
  }
  .problem {
    padding: calc(var(--_space) * 1.5) calc(var(--_space) * 2);
    border: 1px solid color-mix(in srgb, var(--_danger) 35%, transparent);
    border-left-width: 4px;
    border-radius: var(--_radius);
    background: color-mix(in srgb, var(--_danger) 6%, var(--_background));
  }
  .problem.forbidden {
    border-color: color-mix(in srgb, var(--_warning) 45%, transparent);
    background: color-mix(in srgb, var(--_warning) 8%, var(--_background));
  }
  .problem strong {
    display: block;
    margin-bottom: 2px;
  }
  .problem p {
    margin: 4px 0 0;
    overflow-wrap: anywhere;
  }
  .problem code {
    font-family: var(--_mono);
    font-size: 0.93em;
  }
  .problem .code {
    color: var(--_muted);
    font-size: 0.857em;
  }

  .skeleton {
    display: inline-block;
    width: 8em;
    height: 0.9em;
    border-radius: 4px;
    background: linear-gradient(
      90deg,
      var(--_surface) 0%,
      color-mix(in srgb, var(--_border) 60%, var(--_surface)) 50%,
      var(--_surface) 100%
    );
    background-size: 200% 100%;
    animation: shimmer 1.4s ease-in-out infinite;
    vertical-align: middle;
  }
  @keyframes shimmer {
    from {
      background-position: 100% 0;
    }
    to {
      background-position: -100% 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .skeleton {
      animation: none;
    }
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    min-height: 32px;
    gap: var(--_space);
    margin-bottom: calc(var(--_space) * 1.5);
  }
  .toolbar .spacer {
    flex: 1;
  }
  .live {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    color: var(--_muted);
    font-size: 0.857em;
  }
`;

/**
 * The state line of a stream (a log, a terminal): a dot coloured by state beside its label —
 * `streaming`/`open` live, `connecting`, `error` — for the elements that show one.
 */
export const streamState = css`
  .state {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    color: var(--_muted);
    font-size: 0.857em;
  }
  .state .dot {
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: var(--_neutral);
  }
  .state.streaming .dot,
  .state.open .dot {
    background: var(--_ok);
  }
  .state.connecting .dot {
    background: var(--_progress);
  }
  .state.error .dot {
    background: var(--_danger);
  }
`;

/** A modal `<dialog>` and its backdrop; `--_dialog-width` sets its width (480px). */
export const dialogStyles = css`
  dialog {
    width: min(var(--_dialog-width, 480px), calc(100vw - 32px));
    padding: calc(var(--_space) * 3);
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 1.5);
    color: var(--_text);
    box-shadow: 0 12px 32px rgb(0 0 0 / 20%);
  }
  dialog::backdrop {
    background: rgb(15 23 42 / 45%);
  }
  dialog h2 {
    margin: 0 0 calc(var(--_space) * 2);
    font-size: 1.25em;
  }
`;
