import {Ajv2020} from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** Checks values against the schemas of an OpenAPI 3.1 document. */
export interface OpenApiValidator {
  /**
   * @param schema a name under `components.schemas`
   * @throws Error listing every way the value breaks the schema
   */
  assert(schema: string, value: unknown): void;
}

/**
 * A validator for `document` (OpenAPI 3.1, whose schemas are JSON Schema 2020-12), with the
 * `uuid` and `date-time` formats checked.
 */
export function openApiValidator(document: object): OpenApiValidator {
  const ajv = new Ajv2020({strict: false, allErrors: true});
  addFormats.default(ajv);
  ajv.addSchema({...document, $id: 'openapi'});
  return {
    assert(schema, value) {
      const validate = ajv.getSchema(`openapi#/components/schemas/${schema}`);
      if (!validate) throw new Error(`The document has no schema ${schema}`);
      if (!validate(value)) {
        const problems = (validate.errors ?? [])
          .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`)
          .join('; ');
        throw new Error(`Not a valid ${schema}: ${problems}\n${JSON.stringify(value, null, 2)}`);
      }
    },
  };
}
