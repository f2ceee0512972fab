import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  visit,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type TypeNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../db/pagination.js';

export const GRAPHQL_LIMITS = {
  depth: 12,
  aliases: 10,
  directives: 10,
  tokens: 2000,
  cost: 5000,
} as const;

/** Root fields that run argon2: one per operation, so aliases cannot multiply the hashing work. */
const HASHING_FIELDS = new Set(['login', 'setPassword', 'createUser', 'changePassword']);

function countRootFields(context: ValidationContext, selectionSet: SelectionSetNode, seen = new Set<string>()): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD && HASHING_FIELDS.has(selection.name.value)) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countRootFields(context, selection.selectionSet, seen);
    else if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countRootFields(context, fragment.selectionSet, seen);
    }
  }
  return count;
}

export function oneHashingFieldPerOperation(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (countRootFields(context, node.selectionSet) > 1) {
        context.reportError(
          new GraphQLError('At most one of login, setPassword, changePassword or createUser per operation', {
            nodes: [node],
            extensions: { code: 'BAD_USER_INPUT', field: 'operation' },
          }),
        );
      }
    },
  };
}

/**
 * What an operation may cost: every field 1, and a paged field's `edges` and `nodes` as many times as
 * the page it asks for — a literal `first` as given (at most MAX_PAGE_SIZE, as the resolvers cap it),
 * a variable `first` as MAX_PAGE_SIZE (validation runs before variables are known, and the
 * variable may hold the largest page), no `first` as DEFAULT_PAGE_SIZE. So a full page of sessions
 * with their users (the console's list) fits, and pages nested in pages do not. A fragment's cost is
 * worked out once, however often it is spread (a fragment bomb costs its arithmetic, not its
 * expansion). Tested in test/graphql-limits.test.ts.
 */
const PAGED_CHILDREN = new Set(['edges', 'nodes']);

function pageSizeOf(field: FieldNode): number {
  const first = field.arguments?.find((argument) => argument.name.value === 'first' || argument.name.value === 'last');
  if (!first) return DEFAULT_PAGE_SIZE;
  if (first.value.kind === Kind.INT) return Math.min(Math.max(Number(first.value.value), 0), MAX_PAGE_SIZE);
  return MAX_PAGE_SIZE;
}

export function costWithinLimit(context: ValidationContext): ASTVisitor {
  // By fragment and the page it is spread into: a fragment of edges costs more in a larger page.
  const fragmentCosts = new Map<string, number>();
  const costOfFragment = (name: string, visiting: Set<string>, page: number): number => {
    const key = `${name}@${page}`;
    const known = fragmentCosts.get(key);
    if (known !== undefined) return known;
    const fragment = context.getFragment(name);
    if (!fragment || visiting.has(name)) return 0; // unknown or cyclic: other rules refuse those
    visiting.add(name);
    const cost = costOf(fragment.selectionSet, visiting, page);
    visiting.delete(name);
    fragmentCosts.set(key, cost);
    return cost;
  };
  /** `page`: the page size of the field this selection set belongs to; only its edges and nodes repeat. */
  const costOf = (selectionSet: SelectionSetNode, visiting: Set<string>, page: number): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) cost += costOfFragment(selection.name.value, visiting, page);
      else if (selection.kind === Kind.INLINE_FRAGMENT) cost += costOf(selection.selectionSet, visiting, page);
      else if (!selection.name.value.startsWith('__')) {
        const own = 1 + (selection.selectionSet ? costOf(selection.selectionSet, visiting, pageSizeOf(selection)) : 0);
        cost += PAGED_CHILDREN.has(selection.name.value) ? own * page : own;
      }
    }
    return cost;
  };
  return {
    OperationDefinition(node) {
      const cost = costOf(node.selectionSet, new Set(), 1);
      if (cost > GRAPHQL_LIMITS.cost) {
        context.reportError(
          new GraphQLError(`Query Cost limit of ${GRAPHQL_LIMITS.cost} exceeded, found ${cost}.`, {
            nodes: [node],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
        );
      }
    },
  };
}

/**
 * PostgreSQL cannot store U+0000 in text or jsonb: a NUL anywhere in an argument would reach the
 * driver and come back as a database error (masked, but a 500 for what is bad input). Refused here,
 * once for every operation, as BAD_USER_INPUT naming the argument or input field (for a JSON value
 * such as customAttributes, the field that holds it). Secrets that are only ever hashed or parsed —
 * never stored as given — are left to their own checks, so that `verifyToken` still answers
 * `valid: false` and a login INVALID_CREDENTIALS.
 *
 * Types are inspected by shape, not with graphql's `is…Type` helpers: the schema may come from the
 * other build of `graphql` (CJS vs ESM), and those helpers refuse foreign instances.
 */
const NUL_EXEMPT = new Set(['token', 'refreshToken', 'password', 'apiKey']);
const hasNul = (value: unknown) => (typeof value === 'string' ? value.includes('\u0000') : JSON.stringify(value ?? null).includes('\\u0000'));

type InputFieldsOf = () => Record<string, { type: unknown }>;
function inputFieldsOf(type: unknown): InputFieldsOf | null {
  let named = type as { ofType?: unknown; getFields?: unknown; serialize?: unknown } | null | undefined;
  while (named && named.ofType) named = named.ofType as typeof named;
  return named && typeof named.getFields === 'function' && typeof named.serialize !== 'function' ? (named.getFields as InputFieldsOf).bind(named) : null;
}

/** The input field (or argument) holding a NUL in `value` of `type`, or null. */
function nulFieldIn(value: unknown, type: unknown, field: string, depth = 0): string | null {
  if (NUL_EXEMPT.has(field) || depth > 32 || !hasNul(value)) return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = nulFieldIn(item, type, field, depth + 1);
      if (found) return found;
    }
    return null;
  }
  const fields = inputFieldsOf(type);
  if (!fields || value === null || typeof value !== 'object') return field; // a scalar: this field
  const defined = fields();
  for (const [key, item] of Object.entries(value)) {
    const found = nulFieldIn(item, defined[key]?.type, key, depth + 1);
    if (found) return found;
  }
  return null;
}

function nulInputError(field: string, node?: ASTNode): GraphQLError {
  return new GraphQLError(`${field} must not contain NUL characters`, { nodes: node ? [node] : undefined, extensions: { code: 'BAD_USER_INPUT', field } });
}

/** NUL characters in string literals of the document itself. */
export function noNulInLiterals(context: ValidationContext): ASTVisitor {
  // Names of the arguments and input-object fields around the current value; null for the keys of
  // an object literal given to a scalar (JSONObject), which are data, not fields.
  const names: (string | null)[] = [];
  return {
    Argument: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    ObjectField: {
      enter: (node) => void names.push(inputFieldsOf(context.getParentInputType()) ? node.name.value : null),
      leave: () => void names.pop(),
    },
    StringValue(node) {
      if (!node.value.includes('\u0000')) return;
      const field = [...names].reverse().find((name): name is string => name !== null);
      if (field && !NUL_EXEMPT.has(field)) context.reportError(nulInputError(field, node));
    },
  };
}

/** Where each variable is used: the argument or input field it is the value of. */
function variableUses(document: DocumentNode): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const names: string[] = [];
  visit(document, {
    Argument: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    ObjectField: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    Variable(node) {
      const at = names.at(-1);
      if (!at) return; // the variable's own definition
      const list = uses.get(node.name.value) ?? [];
      list.push(at);
      uses.set(node.name.value, list);
    },
  });
  return uses;
}

function namedTypeOf(node: TypeNode): string {
  return node.kind === Kind.NAMED_TYPE ? node.name.value : namedTypeOf(node.type);
}

/** …and in variables, over HTTP and WebSocket alike (both run through envelop's execute/subscribe). */
function noNulInVariables(): Plugin {
  const check = (args: { schema: GraphQLSchema; document: DocumentNode; variableValues?: unknown }): GraphQLError | null => {
    const variables = args.variableValues as Record<string, unknown> | null | undefined;
    if (!variables || !hasNul(variables)) return null;
    const uses = variableUses(args.document);
    for (const definition of args.document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      for (const variable of definition.variableDefinitions ?? []) {
        const name = variable.variable.name.value;
        const usedAs = (uses.get(name) ?? [name]).filter((use) => !NUL_EXEMPT.has(use));
        if (usedAs.length === 0) continue;
        const found = nulFieldIn(variables[name], args.schema.getType(namedTypeOf(variable.type)), usedAs[0]);
        if (found) return nulInputError(found);
      }
    }
    return null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/**
 * "Did you mean …" maps the schema for whoever probes it, anonymous callers included: field,
 * argument and type names in validation errors, but also enum values and input-object fields in
 * the coercion errors of variables, which only execution reports (graphql-armor's plugin sees
 * validation alone, and misses "Did you mean the enum value …"). Cut from every error an operation
 * answers with, over HTTP and WebSocket (test/transport.test.ts).
 */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;
function withoutSuggestions(result: { errors?: readonly { message: string }[] }): void {
  for (const error of result.errors ?? []) {
    if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '');
  }
}
const isResult = (value: unknown): value is { errors?: readonly { message: string }[] } =>
  typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);

function noSuggestions(): Plugin {
  return {
    onValidate:
      () =>
      ({ valid, result }) => {
        if (!valid) withoutSuggestions({ errors: result });
      },
    onExecute: () => ({
      onExecuteDone: ({ result }) => {
        if (isResult(result)) withoutSuggestions(result);
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult: ({ result }) => {
        if (isResult(result)) withoutSuggestions(result);
      },
    }),
  };
}

function withCode(code: string) {
  return (_context: unknown, error: GraphQLError) => {
    Object.assign(error.extensions, { code });
  };
}

/**
 * Request-shape limits (graphql-armor), CSRF prevention, and no introspection in production.
 * Field suggestions ("did you mean …") are cut for everyone: they map the schema for attackers.
 */
export function securityPlugins(options: { production: boolean }): Plugin[] {
  // graphql-armor's refusals carry no extensions.code; clients get the same stable code as for any
  // other invalid document.
  const rejected = { onReject: [withCode('GRAPHQL_VALIDATION_FAILED')] };
  const plugins: Plugin[] = [
    maxDepthPlugin({ n: GRAPHQL_LIMITS.depth, exposeLimits: true, ...rejected }) as Plugin,
    maxAliasesPlugin({ n: GRAPHQL_LIMITS.aliases, exposeLimits: true, ...rejected }) as Plugin,
    maxDirectivesPlugin({ n: GRAPHQL_LIMITS.directives, exposeLimits: true, ...rejected }) as Plugin,
    maxTokensPlugin({ n: GRAPHQL_LIMITS.tokens, exposeLimits: true, onReject: [withCode('GRAPHQL_PARSE_FAILED')] }) as Plugin,
    noSuggestions(),
    // Browsers can send "simple" cross-site requests (GET, form posts) without a preflight; those
    // must carry a header a cross-site page cannot add without one. Authorization is such a header
    // (and browsers never attach it on their own), so authenticated SSE over GET works as is.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-require-preflight', 'authorization'] }),
    {
      onValidate: ({ addValidationRule }) => {
        addValidationRule(oneHashingFieldPerOperation);
        addValidationRule(costWithinLimit);
        addValidationRule(noNulInLiterals);
      },
    },
    noNulInVariables(),
  ];
  // Our own rather than yoga's useDisableIntrospection, which marks the requests it saw parsed
  // by yoga's HTTP layer and so let introspection through over WebSocket and the fast path.
  if (options.production) plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  return plugins;
}
