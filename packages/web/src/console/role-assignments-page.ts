import {css, html, LitElement, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, state} from 'lit/decorators.js';
import {repeat} from 'lit/directives/repeat.js';

import {BUILT_IN_ROLES} from '@porthole/core/auth';
import {PRINCIPAL_TYPES} from '@porthole/core/control-plane';
import type {PrincipalType, Role, RoleAssignment} from '@porthole/core/control-plane';

import {problemView} from '../components/problem-view.js';
import {theme} from '../components/theme.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {LoadController} from '../controllers/load-controller.js';
import {consoleStyles} from './console-styles.js';
import {routeHref} from './routes.js';

const CREATED = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'});

/** What each built-in role allows, in a line (Arc's roles). */
const ROLE_SUMMARIES: Readonly<Record<Role, string>> = {
  Viewer: 'Read most objects; no secrets',
  Writer: 'Read and write most objects, exec into pods',
  Admin: 'Everything at its scope, roles and bindings too',
  'Cluster Admin': 'Everything in the cluster',
  'Cluster User': 'Reach the cluster (credentials) but read nothing by itself',
};

/**
 * A cluster's role assignments, for administrators: who holds which built-in role at which
 * scope, "Add role assignment" and "Remove". Others see the control plane's refusal, which
 * names the role they would need.
 */
@customElement('porthole-role-assignments-page')
export class PortholeRoleAssignmentsPageElement extends LitElement {
  static override styles = [
    theme,
    consoleStyles,
    css`
      form.add {
        display: grid;
        grid-template-columns: minmax(260px, 2fr) repeat(3, minmax(140px, 1fr)) auto;
        align-items: end;
        gap: calc(var(--_space) * 1.5);
      }
      @media (max-width: 900px) {
        form.add {
          grid-template-columns: 1fr 1fr;
        }
      }
      h2 {
        margin: 0 0 calc(var(--_space) * 1.5);
        font-size: 1.1em;
      }
      section + section {
        margin-top: calc(var(--_space) * 3);
      }
      .problem {
        margin-bottom: calc(var(--_space) * 2);
      }
      td.created small {
        display: block;
        color: var(--_muted);
        font-size: 0.857em;
      }
    `,
  ];

  @property({attribute: false}) context: PortholeContext | undefined;
  @property() cluster = '';
  @state() private _busy = false;
  @state() private _actionError: unknown;

  readonly #assignments = new LoadController(this, {
    args: () => (this.context === undefined ? undefined : ([this.context, this.cluster] as const)),
    load: ([context, cluster], signal) => context.controlPlane.listRoleAssignments(cluster, signal),
  });

  protected override render(): TemplateResult {
    const {status, value, error} = this.#assignments.state;
    return html`<nav class="breadcrumbs" aria-label="Breadcrumb">
        <ol>
          <li><a href=${routeHref({page: 'clusters'})}>Clusters</a></li>
          <li>
            <a
              href=${routeHref({page: 'cluster', cluster: this.cluster, namespace: 'default', tab: 'pods'})}
              >${this.cluster}</a
            >
          </li>
          <li aria-current="page">Role assignments</li>
        </ol>
      </nav>
      <div class="page-header"><h1>Role assignments</h1></div>
      <p class="lead">
        Who may do what in ${this.cluster}. The agent enforces these on every request, beside the
        cluster's own RBAC.
      </p>
      ${this._actionError === undefined ? nothing : problemView(this._actionError)}
      ${
        status === 'error' && value === undefined
          ? problemView(error, 'Listing role assignments')
          : html`<section>${this.#table(value)}</section>
              <section class="panel">
                <h2>Add role assignment</h2>
                ${this.#form()}
              </section>`
      }`;
  }

  #table(assignments: RoleAssignment[] | undefined): TemplateResult {
    if (assignments !== undefined && assignments.length === 0)
      return html`<div class="empty-state">
        <h2>No role assignments</h2>
        <p>Only relay administrators reach ${this.cluster} until a role is assigned.</p>
      </div>`;
    return html`<div class="table-frame">
      <table aria-busy=${assignments === undefined ? 'true' : 'false'}>
        <caption class="visually-hidden">
          Role assignments of ${this.cluster}
        </caption>
        <thead>
          <tr>
            <th scope="col">Principal</th>
            <th scope="col">Type</th>
            <th scope="col">Role</th>
            <th scope="col">Scope</th>
            <th scope="col">Created</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${
            assignments === undefined
              ? html`<tr>
                  <td colspan="6"><span class="skeleton"></span></td>
                </tr>`
              : repeat(
                  assignments,
                  (assignment) => assignment.id,
                  (assignment) =>
                    html`<tr>
                      <th scope="row" class="mono">${assignment.principalId}</th>
                      <td>${assignment.principalType ?? '–'}</td>
                      <td>${assignment.role}</td>
                      <td>
                        ${
                          assignment.namespace === null
                            ? 'Whole cluster'
                            : html`Namespace <strong>${assignment.namespace}</strong>`
                        }
                      </td>
                      <td class="created">
                        <time datetime=${assignment.createdAt}
                          >${CREATED.format(new Date(assignment.createdAt))}</time
                        >
                        <small>by <span class="mono">${assignment.createdBy}</span></small>
                      </td>
                      <td class="actions">
                        <button
                          class="danger quiet"
                          ?disabled=${this._busy}
                          aria-label="Remove ${assignment.role} of ${assignment.principalId}"
                          @click=${() => this._onRemove(assignment)}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>`;
  }

  #form(): TemplateResult {
    return html`<form class="add" @submit=${this._onAdd}>
      <div class="field">
        <label for="principal">Principal object id</label>
        <input
          id="principal"
          name="principalId"
          required
          spellcheck="false"
          autocomplete="off"
          pattern="[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
          placeholder="00000000-0000-0000-0000-000000000000"
        />
      </div>
      <div class="field">
        <label for="principal-type">Type</label>
        <select id="principal-type" name="principalType">
          ${PRINCIPAL_TYPES.map((type) => html`<option>${type}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="role">Role</label>
        <select id="role" name="role">
          ${BUILT_IN_ROLES.map(
            (role) => html`<option value=${role} title=${ROLE_SUMMARIES[role]}>${role}</option>`,
          )}
        </select>
      </div>
      <div class="field">
        <label for="namespace">Namespace</label>
        <input id="namespace" name="namespace" placeholder="Whole cluster" spellcheck="false" />
      </div>
      <button type="submit" class="primary" ?disabled=${this._busy}>Add role assignment</button>
    </form>`;
  }

  private async _onAdd(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (name: string) => {
      const value = data.get(name);
      return typeof value === 'string' ? value.trim() : '';
    };
    const namespace = text('namespace');
    await this.#act(async (context) => {
      await context.controlPlane.createRoleAssignment(this.cluster, {
        principalId: text('principalId'),
        principalType: text('principalType') as PrincipalType,
        role: text('role') as Role,
        ...(namespace === '' ? {} : {namespace}),
      });
      form.reset();
    });
  }

  private async _onRemove(assignment: RoleAssignment): Promise<void> {
    await this.#act((context) =>
      context.controlPlane.deleteRoleAssignment(this.cluster, assignment.id),
    );
  }

  async #act(action: (context: PortholeContext) => Promise<void>): Promise<void> {
    const context = this.context;
    if (context === undefined) return;
    this._busy = true;
    this._actionError = undefined;
    try {
      await action(context);
      await this.#assignments.refresh();
    } catch (error) {
      this._actionError = error;
    } finally {
      this._busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-role-assignments-page': PortholeRoleAssignmentsPageElement;
  }
}
