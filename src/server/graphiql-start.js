// GraphiQL's start, in the browser (served by src/server/graphiql.ts after graphiql's, React's and
// ReactDOM's browser builds, which define the globals used here). The page runs no inline script:
// yoga's options come as JSON data in the page.
/* global React, ReactDOM, GraphiQL */
const options = JSON.parse(document.getElementById('graphiql-options').textContent);

/** Whether the operation to run is a subscription (GraphiQL hands us the parsed document). */
function isSubscription(documentAST, operationName) {
  const operations = (documentAST?.definitions ?? []).filter((d) => d.kind === 'OperationDefinition');
  const operation = operationName ? operations.find((d) => d.name?.value === operationName) : operations[0];
  return operation?.operation === 'subscription';
}

/** The events of a server-sent-events body (`event: next` … `event: complete`), until its end or an abort. */
async function* serverSentEvents(response, signal) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read().catch((error) => {
      if (signal.aborted) return { done: true };
      throw error;
    });
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const event =
        lines
          .find((line) => line.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message';
      const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart());
      if (event === 'complete') return;
      if (data.join('') !== '') yield JSON.parse(data.join('\n'));
    }
  }
}

/**
 * A subscription's results, from yoga's server-sent events. Stopping it in GraphiQL aborts the
 * request at once (which ends the subscription on the server): an async generator's own return()
 * would wait for the next event first.
 */
function subscriptionResults(response, controller) {
  const events = serverSentEvents(response, controller.signal);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => events.next(),
    return() {
      controller.abort();
      return Promise.resolve({ done: true, value: undefined });
    },
  };
}

/** Queries and mutations as JSON; subscriptions over server-sent events; the headers editor's headers on both. */
async function fetcher(params, fetcherOptions) {
  const subscription = isSubscription(fetcherOptions?.documentAST, params.operationName);
  const controller = new AbortController();
  const response = await fetch(options.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: subscription ? 'text/event-stream' : 'application/graphql-response+json, application/json',
      ...fetcherOptions?.headers,
    },
    body: JSON.stringify(params),
    signal: controller.signal,
  });
  if (subscription && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return subscriptionResults(response, controller);
  return response.json();
}

ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery: options.defaultQuery, headers: options.headers }),
);
