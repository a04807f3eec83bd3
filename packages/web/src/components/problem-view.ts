import {html, nothing} from 'lit';
import type {TemplateResult} from 'lit';

import {describeProblem} from './problem.js';

/**
 * An error as an alert box (part `problem`): the title, the permission a 403 names, the
 * message, the hint and the code.
 */
export function problemView(error: unknown, doing?: string): TemplateResult {
  const problem = describeProblem(error, doing);
  return html`<div
    class="problem ${problem.forbidden ? 'forbidden' : ''}"
    role="alert"
    part="problem"
  >
    <strong>${problem.title}</strong>
    ${
      problem.permission === undefined
        ? nothing
        : html`<p>Missing permission: <code>${problem.permission}</code></p>`
    }
    <p>${problem.message}</p>
    ${problem.hint === undefined ? nothing : html`<p>${problem.hint}</p>`}
    ${problem.code === undefined ? nothing : html`<p class="code">${problem.code}</p>`}
  </div>`;
}
