/** A structured log event; fields never hold tokens, keys, kubeconfigs or bodies. */
export type Logger = (event: string, fields: Record<string, unknown>) => void;

/** JSON lines on stderr. */
export const stderrLogger: Logger = (event, fields) => {
  process.stderr.write(`${JSON.stringify({time: new Date().toISOString(), event, ...fields})}\n`);
};
