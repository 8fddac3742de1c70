// The OpenAPI document (/openapi.json) held against what the service really answers: the documented response of a
// route and status, and whether a body fits the schema the document gives for it (JSON Schema 2020-12, as OpenAPI
// 3.1 uses, with the document's components for its $refs).
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface MediaType {
  schema?: Record<string, unknown>;
  example?: unknown;
}
export interface DocumentedResponse {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
export interface DocumentedOperation {
  summary?: string;
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; example?: unknown }[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, DocumentedResponse>;
}
export interface OpenApiDocument {
  components: { schemas: Record<string, Record<string, unknown>> };
  paths: Record<string, Record<string, DocumentedOperation>>;
}

export async function fetchDocument(serviceUrl: string): Promise<OpenApiDocument> {
  const response = await fetch(`${serviceUrl}/openapi.json`);
  if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}

/** The documented operation of a real request (`/record?id=…` → `/record`, `/docs/assets/x.js` → `/docs/assets/{name}`). */
export function operationOf(document: OpenApiDocument, method: string, url: string): DocumentedOperation | undefined {
  const pathname = new URL(url, 'http://x').pathname;
  for (const [template, operations] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(pathname)) return operations[method.toLowerCase()];
  }
  return undefined;
}

// Zod writes integers' safe range as minimum/maximum, and formats ajv knows only with ajv-formats.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

/** What is wrong with `value` against `schema` (a $ref into the document's components, or a schema of its own): none if it fits. */
export function schemaErrors(document: OpenApiDocument, schema: Record<string, unknown>, value: unknown): string[] {
  const validate = ajv.compile({ ...schema, components: document.components });
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`);
}
