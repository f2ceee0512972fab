// Hash routes (#/realms/<id>/users?q=ann): the server serves one page, and nothing secret is ever
// in a URL. A route is a pattern with :params and the page module that renders it.

export function matchRoute(routes, hash) {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    const matches = pattern.every((segment, i) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return segment === parts[i];
    });
    if (matches) return { route, params, query: new URLSearchParams(search) };
  }
  return null;
}

/** '#/realms/' + id … with every dynamic segment encoded. */
export function href(...segments) {
  return '#/' + segments.map((segment) => encodeURIComponent(segment)).join('/');
}

export function withQuery(base, query) {
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== undefined && value !== null && value !== '')).toString();
  return search ? `${base}?${search}` : base;
}

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
