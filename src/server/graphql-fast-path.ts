import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';

/**
 * The common case — a JSON POST of one query or mutation from a server-side client — executed
 * through yoga's own envelop (the same plugins, caches, masking and result serialisation) without
 * yoga's Fetch-API request layer, which costs more than a whole token check: a bare yoga answers
 * ~3,000 requests/s on our 2-core machines, the same envelop behind node:http ~8,500.
 *
 * It only takes requests whose answer it can give exactly as yoga would, and hands everything
 * else back (`false`) before anything has run: browsers (an Origin header: CORS is yoga's),
 * other content types and methods, other Accept headers (SSE, multipart), bodies yoga would refuse,
 * documents that fail to parse or validate (yoga words those errors), and subscriptions.
 * test/fast-path.test.ts compares its answers with yoga's for the same requests.
 */
export function createGraphqlFastPath<TServerContext extends { req: IncomingMessage; res: ServerResponse }>(
  yoga: YogaServerInstance<TServerContext, object>,
  maskError: (error: unknown, message: string) => Error,
) {
  return async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> {
    if (req.method !== 'POST' || req.headers.origin !== undefined || !isPlainJson(req.headers['content-type'])) return false;
    const mediaType = acceptedMediaType(req.headers.accept);
    if (!mediaType) return false;
    const params = graphqlParams(body);
    if (!params) return false;

    const enveloped = yoga.getEnveloped({ req, res } as never);
    // Parse and validation failures are yoga's to word (graphql-armor's rules even throw them).
    let document: DocumentNode;
    try {
      document = enveloped.parse(params.query);
      if (enveloped.validate(enveloped.schema, document).length > 0) return false;
    } catch {
      return false;
    }
    const operation = getOperationAST(document, params.operationName ?? undefined);
    if (!operation || operation.operation === 'subscription') return false;

    let result: ExecutionResult;
    try {
      const contextValue = await enveloped.contextFactory();
      result = (await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      })) as ExecutionResult;
    } catch (error) {
      // What yoga does with an error thrown (not returned) by the pipeline: masked, reported as a result.
      result = { errors: [maskError(error, 'Unexpected error.') as never] };
    }
    const response = processRegularResult(result, { Response: CapturedResponse } as never, mediaType) as unknown as CapturedResponse;
    const text = response.body ?? '';
    res.writeHead(response.init.status ?? 200, { ...response.init.headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  };
}

/** Stands in for the Fetch API's Response: yoga's result processor builds one, we write it to node. */
class CapturedResponse {
  constructor(
    readonly body: string | null,
    readonly init: { status?: number; headers?: Record<string, string> },
  ) {}
}

function isPlainJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const normalized = contentType.replace(/\s/g, '').toLowerCase();
  return normalized === 'application/json' || normalized === 'application/json;charset=utf-8';
}

const REGULAR_MEDIA_TYPES = ['application/graphql-response+json', 'application/json'] as const;
const FAST_ACCEPTS = new Set(['*/*', 'application/*', ...REGULAR_MEDIA_TYPES]);

/**
 * The media type yoga answers with, for Accept headers naming only JSON-ish types (else null).
 * Mirrors yoga's negotiation (plugins/use-result-processor.js): entries in reverse order, the last
 * match wins, and for these entries the regular (JSON) processor is the one that matches last.
 */
function acceptedMediaType(accept: string | undefined): (typeof REGULAR_MEDIA_TYPES)[number] | null {
  // A client sends the same Accept header on every request: answer it from memory. Bounded, so a
  // client varying it cannot grow the map.
  const key = accept ?? '';
  const known = mediaTypeByAccept.get(key);
  if (known !== undefined) return known;
  const mediaType = negotiateMediaType(accept);
  if (mediaTypeByAccept.size >= 256) mediaTypeByAccept.clear();
  mediaTypeByAccept.set(key, mediaType);
  return mediaType;
}
const mediaTypeByAccept = new Map<string, (typeof REGULAR_MEDIA_TYPES)[number] | null>();

function negotiateMediaType(accept: string | undefined): (typeof REGULAR_MEDIA_TYPES)[number] | null {
  const entries = (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',').reverse();
  let chosen: (typeof REGULAR_MEDIA_TYPES)[number] | null = null;
  for (const entry of entries) {
    const [mediaType, ...parameters] = entry.split(';');
    if (!FAST_ACCEPTS.has(mediaType) || parameters.some((parameter) => parameter !== 'charset=utf-8')) return null;
    for (const candidate of REGULAR_MEDIA_TYPES) {
      const [type, subtype] = mediaType.split('/');
      const [candidateType, candidateSubtype] = candidate.split('/');
      if ((type === '*' || type === candidateType) && (subtype === '*' || subtype === candidateSubtype)) chosen = candidate;
    }
  }
  return chosen;
}

interface GraphqlParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The body as GraphQL parameters when it is exactly what yoga accepts without a word, else null. */
function graphqlParams(body: Buffer): GraphqlParams | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isPlainObject(parsed)) return null;
  for (const key of Object.keys(parsed)) if (!PARAM_NAMES.has(key)) return null;
  const { query, variables, operationName, extensions } = parsed;
  if (typeof query !== 'string' || query.length === 0) return null;
  if (variables != null && !isPlainObject(variables)) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (extensions != null && !isPlainObject(extensions)) return null;
  return { query, variables: variables as GraphqlParams['variables'], operationName: operationName as GraphqlParams['operationName'] };
}
