import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';

export const GRAPHQL_LIMITS = {
  depth: 12,
  aliases: 10,
  directives: 10,
  tokens: 2000,
  cost: 5000,
} as const;

/** Root fields that run argon2: one per operation, so aliases cannot multiply the hashing work. */
const HASHING_FIELDS = new Set(['login', 'setPassword', 'createUser']);

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
          new GraphQLError('At most one of login, setPassword or createUser per operation', { nodes: [node], extensions: { code: 'BAD_USER_INPUT', field: 'operation' } }),
        );
      }
    },
  };
}

function withCode(code: string) {
  return (_context: unknown, error: GraphQLError) => {
    Object.assign(error.extensions, { code });
  };
}

/**
 * Request-shape limits (graphql-armor), CSRF prevention, and no introspection in production.
 * Field suggestions ("did you mean …") are blocked for everyone: they map the schema for attackers.
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
    costLimitPlugin({ maxCost: GRAPHQL_LIMITS.cost, exposeLimits: true, ...rejected }) as Plugin,
    blockFieldSuggestionsPlugin() as Plugin,
    // Browsers can send "simple" cross-site requests (GET, form posts) without a preflight; those
    // must carry a header a cross-site page cannot add without one. Authorization is such a header
    // (and browsers never attach it on their own), so authenticated SSE over GET works as is.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'graphql-require-preflight', 'authorization'] }),
    { onValidate: ({ addValidationRule }) => addValidationRule(oneHashingFieldPerOperation) },
  ];
  if (options.production) plugins.push(useDisableIntrospection());
  return plugins;
}
