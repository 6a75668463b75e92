/**
 * Several PostgreSQL hosts in one URL, in libpq's multi-host form
 * (`postgres://user@db1:5432,db2:5432/shannon?target_session_attrs=read-write`), which pgx, psql
 * and the other drivers Shannon's operators use already read. node-postgres does not: the URL is
 * split here into one single-host URL per host, and the Database follows the one that accepts
 * writes (src/postgres/primary-locator.ts).
 */

/** A host list that cannot be read; the settings parser turns it into a ConfigError naming the setting. */
export class HostListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostListError';
  }
}

/** `target_session_attrs` values that mean "the host that takes writes", the only one we follow. */
const WRITABLE_ATTRS: ReadonlySet<string> = new Set(['read-write', 'primary']);

/**
 * The single-host URLs of `url`, in its order: one element for an ordinary URL (returned as it is).
 * `target_session_attrs` is dropped from the split URLs (node-postgres would send it to the server
 * as a startup parameter).
 * @throws HostListError for an empty host, a malformed URL, or a `target_session_attrs` other than
 *   read-write/primary with several hosts.
 */
export function splitHosts(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (match === null) throw new HostListError('is not a valid URL (expected postgres://…)');
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? '' : authority.slice(0, at + 1);
  const hostList = at === -1 ? authority : authority.slice(at + 1);
  // A comma inside brackets would be part of an IPv6 literal; PostgreSQL host lists never nest them.
  const hosts = hostList.split(',');
  if (hosts.length === 1) {
    validate(url);
    return [url];
  }
  if (hosts.some((h) => h.trim() === '')) {
    throw new HostListError(`lists an empty host in "${hostList}"`);
  }
  const [path, query] = splitQuery(rest);
  const params = new URLSearchParams(query);
  const attrs = params.get('target_session_attrs');
  if (attrs !== null && !WRITABLE_ATTRS.has(attrs)) {
    throw new HostListError(
      `lists several hosts with target_session_attrs=${attrs}; only read-write (the default here) is ` +
        'supported: the service writes, so it follows the host that accepts writes',
    );
  }
  params.delete('target_session_attrs');
  const search = params.toString();
  return hosts.map((host) => {
    const single = `${scheme}${userinfo}${host.trim()}${path}${search === '' ? '' : `?${search}`}`;
    validate(single);
    return single;
  });
}

function splitQuery(rest: string): [string, string] {
  const q = rest.indexOf('?');
  return q === -1 ? [rest, ''] : [rest.slice(0, q), rest.slice(q + 1)];
}

function validate(url: string): void {
  try {
    new URL(url);
  } catch {
    throw new HostListError('is not a valid URL (expected postgres://…, hosts separated by commas)');
  }
}

/** `host:port` of a single-host URL, for logs and metrics labels (never the password). */
export function hostLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}`;
  } catch {
    return 'unknown';
  }
}
