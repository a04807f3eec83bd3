/**
 * The colour family of a status, always shown beside its text label (never colour alone):
 * `ok` green, `progress` blue, `warning` amber, `danger` red, `neutral` grey.
 */
export type Tone = 'ok' | 'progress' | 'warning' | 'danger' | 'neutral';
