/**
 * How a folder is named to users (messages, the Temporal UI summary): `<environment slug>:<path>`, e.g.
 * `dev:/apps/shop`. The one place that spells it.
 */
export function folderLabel(environment: string, path: string): string {
  return `${environment}:${path}`;
}
