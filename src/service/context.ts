import { Client, Connection } from '@temporalio/client';
import { type RotatorConfig, requireDatabaseUrl } from '../config.js';
import { type ControlDb, createControlPool } from '../store/db.js';
import { SecretBox } from '../store/secret-box.js';

/** What the CLI and the API need to act on rotations: the control database and a Temporal client. */
export interface ServiceContext {
  db: ControlDb;
  temporal: Client;
  close(): Promise<void>;
}

export async function openServiceContext(config: RotatorConfig): Promise<ServiceContext> {
  const box = SecretBox.fromBase64(config.encryptionKey);
  const pool = createControlPool(requireDatabaseUrl(config), 4);
  const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: '10s' });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  return {
    db: { pool, box },
    temporal,
    async close() {
      await connection.close();
      await pool.end();
    },
  };
}
