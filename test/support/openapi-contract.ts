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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What a value is, as far as a reader of an example cares: its type, and for a string whether it is empty, an id, a link or a time. */
function formOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return Array.isArray(value) ? 'array' : typeof value;
  if (value === '') return 'empty string';
  if (UUID.test(value)) return 'UUID';
  if (/^\/problems\/[a-z]+(-[a-z]+)*$/.test(value)) return 'problem type';
  if (/^https?:\/\//.test(value)) return 'URL';
  if (/^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value))) return 'time';
  return 'string';
}

/**
 * Where a documented example and a real answer have the same field, the differences in form between them: a number
 * shown where a string comes, an empty text, an id that is not one. Arrays are compared by their first element.
 */
export function formDifferences(example: unknown, real: unknown, at = ''): string[] {
  if (Array.isArray(example) && Array.isArray(real)) return example.length && real.length ? formDifferences(example[0], real[0], `${at}[0]`) : [];
  if (formOf(example) !== formOf(real)) return [`${at || '(root)'}: the example shows ${formOf(example)}, the service sends ${formOf(real)}`];
  if (example === null || typeof example !== 'object') return [];
  const sent = real as Record<string, unknown>;
  return Object.entries(example as Record<string, unknown>)
    .filter(([key]) => key in sent)
    .flatMap(([key, value]) => formDifferences(value, sent[key], `${at}${at ? '.' : ''}${key}`));
}

/** A header value's form: its first part (up to `;` or `,`), quoted texts and numbers left out. */
function headerForm(value: string): string {
  return value.split(/[;,]/)[0]!.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, '#').trim();
}

/**
 * The headers documented for an answer, against the answer's: each documented one is sent, in the form of its
 * example if it has one, and each of `notable` that is sent is documented. The differences, as sentences.
 */
export function headerDifferences(documented: Record<string, unknown> | undefined, sent: Headers, notable: string[] = []): string[] {
  const problems: string[] = [];
  const names = Object.keys(documented ?? {});
  for (const name of names) {
    const header = documented![name] as { schema?: { type?: string }; description?: string; example?: string };
    const value = sent.get(name);
    if (value === null) problems.push(`${name} is documented, not sent`);
    else if (header.example !== undefined && headerForm(header.example) !== headerForm(value)) problems.push(`${name}: documented as "${header.example}", sent "${value}"`);
    if (!header.schema?.type) problems.push(`${name} has no schema type`);
    if (header.description !== undefined && !header.description.trim()) problems.push(`${name} has an empty description`);
  }
  const lower = names.map((name) => name.toLowerCase());
  for (const name of notable) if (sent.has(name) && !lower.includes(name)) problems.push(`${name} is sent, not documented`);
  return problems;
}
