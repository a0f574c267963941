// Hash routes (#/cases/123): deep links work with a static file server, and the part after '#'
// never reaches the server or its logs. Routes carry resource ids only, never a name.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

export type Params = Record<string, string>;

export interface Route {
  /** "/cases/:id": segments starting with ':' are parameters. */
  pattern: string;
  page: ComponentType<{ params: Params }>;
  /** Roles that may open it (any of them); all signed-in users when absent. */
  roles?: string[];
}

export function currentPath(): string {
  const hash = location.hash.replace(/^#/, "");
  return hash.startsWith("/") ? hash : "/";
}

export function navigate(path: string): void {
  location.hash = path;
}

export function match(routes: Route[], path: string): { route: Route; params: Params } | undefined {
  const [pathOnly] = path.split("?");
  const parts = pathOnly.split("/").filter(Boolean);
  for (const route of routes) {
    const pattern = route.pattern.split("/").filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Params = {};
    const ok = pattern.every((segment, i) => {
      if (segment.startsWith(":")) {
        params[segment.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return segment === parts[i];
    });
    if (ok) return { route, params };
  }
  return undefined;
}

/** Query parameters of the hash route (#/cases?state=OPEN). Never put a name in them. */
export function queryOf(path: string): URLSearchParams {
  return new URLSearchParams(path.split("?")[1] ?? "");
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return path;
}
