import pg from 'pg';

/**
 * How a server refuses `pg_control_system()`: permission denied (a managed service revoked it), undefined
 * function or feature not supported (a PostgreSQL-compatible service without it). Anything else (a timeout, a
 * lost connection) is an error: falling back then would give one cluster two identities.
 */
const HIDDEN_SQLSTATES = new Set(['42501', '42883', '0A000']);

/**
 * The server's own address and port as it sees this session. Loopback addresses (IPv4, IPv6, IPv4-mapped) and
 * Unix sockets (no address) all mean "this machine", so `localhost`, `127.0.0.1` and `::1` agree.
 */
const ADDRESS_SQL = `
  SELECT CASE WHEN a IS NULL OR a << inet '127.0.0.0/8' OR a = inet '::1' OR a << inet '::ffff:127.0.0.0/104'
              THEN 'loopback' ELSE host(a) END AS address,
         current_setting('port') AS port
  FROM (SELECT inet_server_addr() AS a) s`;

/**
 * A stable identifier of the PostgreSQL cluster the client is connected to (roles are cluster-wide, so it is what
 * role ownership is keyed by), the same from every database and every host name that reaches the cluster.
 *
 * `system:<system_identifier>` from `pg_control_system()`, which PostgreSQL grants to every role (a CREATEROLE
 * admin reads it). Where a service hides it, `address:<server address>:<port>` as the server reports it, which
 * still makes two databases of one cluster and `localhost`/`127.0.0.1` agree. Its limits: a server reached on two
 * different non-loopback addresses gets two identities (ownership is then not enforced across them), and two
 * clusters that report the same address and port (containers, or loopback seen from different API hosts) share
 * one (a create is then refused that would have been safe).
 */
export async function clusterIdentity(client: pg.ClientBase): Promise<string> {
  // Read first: after a refused pg_control_system() the caller's transaction, if any, accepts no more queries.
  const { rows: fallback } = await client.query<{ address: string; port: string }>(ADDRESS_SQL);
  try {
    const { rows } = await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()');
    if (rows[0]?.id) return `system:${rows[0].id}`;
  } catch (err) {
    if (!(err instanceof pg.DatabaseError && err.code !== undefined && HIDDEN_SQLSTATES.has(err.code))) throw err;
  }
  return `address:${fallback[0]!.address}:${fallback[0]!.port}`;
}
