// A tiny hash router: the state of the app lives in `location.hash`, so the WebView's
// back/forward and a reload keep the user where they were.

export type Route =
  | { name: 'home' }
  | { name: 'communes' }
  | { name: 'commune'; insee: string }
  | { name: 'visits' }
  | { name: 'visit'; id: string }
  | { name: 'catalogue' }
  | { name: 'sync' }
  | { name: 'settings' };

export type Section = 'home' | 'communes' | 'visits' | 'catalogue' | 'sync' | 'settings';

export function parseHash(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p));
  const [head, arg] = parts;
  switch (head) {
    case undefined:
      return { name: 'home' };
    case 'communes':
      return arg ? { name: 'commune', insee: arg } : { name: 'communes' };
    case 'visites':
      return arg ? { name: 'visit', id: arg } : { name: 'visits' };
    case 'catalogue':
      return { name: 'catalogue' };
    case 'synchronisation':
      return { name: 'sync' };
    case 'reglages':
      return { name: 'settings' };
    default:
      return { name: 'home' };
  }
}

export function href(route: Route): string {
  switch (route.name) {
    case 'home':
      return '#/';
    case 'communes':
      return '#/communes';
    case 'commune':
      return `#/communes/${encodeURIComponent(route.insee)}`;
    case 'visits':
      return '#/visites';
    case 'visit':
      return `#/visites/${encodeURIComponent(route.id)}`;
    case 'catalogue':
      return '#/catalogue';
    case 'sync':
      return '#/synchronisation';
    case 'settings':
      return '#/reglages';
  }
}

/** Which entry of the rail a route belongs to. */
export function sectionOf(route: Route): Section {
  switch (route.name) {
    case 'commune':
      return 'communes';
    case 'visit':
      return 'visits';
    default:
      return route.name;
  }
}
