/**
 * Fills `{name}`-style placeholders of an element's `href-template` attribute, each value
 * percent-encoded: `#/clusters/{cluster}/pods/{name}` with `{cluster: 'a b'}` gives
 * `#/clusters/a%20b/pods/…`. Unknown placeholders are left as they are.
 */
export function fillHref(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : encodeURIComponent(value);
  });
}
