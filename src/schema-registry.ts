import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { projectRoot } from './config.ts';
import type { FieldError } from './errors.ts';

// ajv-formats is CommonJS: at run time its default import is the plugin function itself, while
// its typings describe the module object; this bridges the two.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const schemasDir = path.join(projectRoot, 'schemas');

/** Every JSON Schema in schemas/, compiled once; the API, imports and forms validate through these. */
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
for (const file of readdirSync(schemasDir).filter((name) => name.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(path.join(schemasDir, file), 'utf8')) as object, file);
}

export function schemaValidator<T>(file: string): ValidateFunction<T> {
  const validate = ajv.getSchema<T>(file);
  if (!validate) throw new Error(`no JSON Schema named ${file} in schemas/`);
  return validate;
}

/** ajv's errors as field errors: a dotted path and the failed keyword. */
export function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((error) => {
    const base = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const missing = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : '';
    return { field: [base, missing].filter(Boolean).join('.'), rule: error.keyword };
  });
}
