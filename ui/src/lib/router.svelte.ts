import { href, parseHash, type Route } from './routes';

export const router = $state<{ route: Route }>({ route: parseHash(window.location.hash) });

window.addEventListener('hashchange', () => {
  router.route = parseHash(window.location.hash);
});

export function navigate(route: Route): void {
  const target = href(route);
  if (window.location.hash === target) {
    router.route = parseHash(target);
  } else {
    window.location.hash = target;
  }
}
