const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value is a GUID, the shape of every Entra object, tenant and client id. */
export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}
