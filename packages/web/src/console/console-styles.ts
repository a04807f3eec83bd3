import {css} from 'lit';

/** The console pages' layout: page headers, breadcrumbs, tab bars, panels and forms. */
export const consoleStyles = css`
  .page-header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: calc(var(--_space) * 1.5);
    min-height: 40px;
    margin-bottom: calc(var(--_space) * 2);
  }
  .page-header h1 {
    display: flex;
    align-items: center;
    gap: var(--_space);
    margin: 0;
    font-size: 1.6em;
    font-weight: 650;
    letter-spacing: -0.01em;
  }
  .page-header h1 .badge {
    font-size: 13px;
    letter-spacing: 0;
  }
  .page-header .spacer {
    flex: 1;
  }
  .lead {
    margin: -8px 0 calc(var(--_space) * 2.5);
    color: var(--_muted);
  }
  nav.breadcrumbs ol {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin: 0 0 var(--_space);
    padding: 0;
    color: var(--_muted);
    font-size: 0.93em;
    list-style: none;
  }
  nav.breadcrumbs li + li::before {
    content: '/';
    margin-right: 6px;
    color: var(--_border);
  }
  .meta {
    display: flex;
    flex-wrap: wrap;
    gap: calc(var(--_space) * 0.75) calc(var(--_space) * 3);
    margin: 0 0 calc(var(--_space) * 2.5);
    padding: 0;
    color: var(--_muted);
  }
  .meta div {
    display: flex;
    gap: 6px;
  }
  .meta dt {
    font-weight: 500;
  }
  .meta dd {
    margin: 0;
    color: var(--_text);
  }
  nav.tabs {
    display: flex;
    gap: calc(var(--_space) * 0.5);
    margin-bottom: calc(var(--_space) * 2);
    border-bottom: 1px solid var(--_border);
  }
  nav.tabs a {
    margin-bottom: -1px;
    padding: var(--_space) calc(var(--_space) * 1.5);
    border-bottom: 2px solid transparent;
    color: var(--_muted);
    font-weight: 500;
    text-decoration: none;
  }
  nav.tabs a:hover {
    color: var(--_text);
  }
  nav.tabs a[aria-current='page'] {
    border-bottom-color: var(--_accent);
    color: var(--_text);
  }
  .panel {
    padding: calc(var(--_space) * 2.5);
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 1.5);
    background: var(--_background);
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .field small {
    color: var(--_muted);
  }
  .empty-state {
    padding: calc(var(--_space) * 6) calc(var(--_space) * 3);
    border: 1px dashed var(--_border);
    border-radius: calc(var(--_radius) * 1.5);
    text-align: center;
  }
  .empty-state h2 {
    margin: 0 0 var(--_space);
    font-size: 1.15em;
  }
  .empty-state p {
    margin: 0;
    color: var(--_muted);
  }
  pre.commands {
    margin: 0;
    padding: calc(var(--_space) * 1.5);
    overflow-x: auto;
    border-radius: var(--_radius);
    background: #0d1117;
    color: #e6edf3;
    font-family: var(--_mono);
    font-size: 12.5px;
    line-height: 1.6;
  }
  /* A command to copy: the block, with its "Copy" button in the corner. */
  .command {
    position: relative;
    margin-top: 6px;
  }
  .command pre {
    padding-right: 72px;
  }
  .command button {
    position: absolute;
    top: 6px;
    right: 6px;
    min-height: 26px;
    border-color: #30363d;
    background: #161b22;
    color: #e6edf3;
    font-size: 0.857em;
  }
  /* Something under way: a spinner (still for reduced motion) and what it waits for. */
  .waiting {
    display: flex;
    align-items: center;
    gap: var(--_space);
    min-height: 40px;
    padding: var(--_space) calc(var(--_space) * 1.5);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .spinner {
    flex: none;
    width: 14px;
    height: 14px;
    border: 2px solid var(--_border);
    border-top-color: var(--_progress);
    border-radius: 50%;
    animation: spin 0.9s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation: none;
    }
  }
  /* A dialog's actions, at its end. */
  dialog .buttons {
    display: flex;
    justify-content: flex-end;
    gap: var(--_space);
    margin-top: calc(var(--_space) * 3);
  }
`;
