import { ApplicationFailure } from '@temporalio/activity';
import type { CredentialRef, RotationActivities } from '../../src/activities/types.js';
import { applyConfigPatch } from '../../src/domain/rotation-config.js';
import type { RotationConfig, RotationState } from '../../src/domain/rotation-types.js';

/**
 * Test doubles for the workflow-logic tests (the Temporal way: fake activities passed to the Worker).
 * They record every call and can be told to fail; the real ones are exercised by the integration tests.
 */
export class FakeTarget {
  calls: { name: string; ref?: CredentialRef; activate?: boolean }[] = [];
  /** When set, applyPassword fails with this (non-retryable, like a real configuration error). */
  applyFailure: string | null = null;
  /** When set, applyFailure applies to this slot only. */
  applyFailureSlot: 0 | 1 | null = null;
  preflightFailure: string | null = null;
  /** Makes applyPassword take this long, so that a test can act while a rotation runs. */
  applyDelayMs = 0;
  /** The states recorded for listings (by publish or recordState), in order. */
  states: RotationState[] = [];
  removed: { deleteSecrets: boolean; reason: string }[] = [];
  revoked = 0;

  constructor(public config: RotationConfig) {}

  published(): CredentialRef[] {
    return this.calls.filter((c) => c.name === 'publish' && c.activate).map((c) => c.ref!);
  }

  activities(): RotationActivities {
    return {
      preflight: async () => {
        this.calls.push({ name: 'preflight' });
        if (this.preflightFailure) throw ApplicationFailure.nonRetryable(this.preflightFailure, 'ConfigurationError');
        return { serverVersion: 150000, roles: [] };
      },
      stagePassword: async (ref) => void this.calls.push({ name: 'stagePassword', ref }),
      applyPassword: async (ref) => {
        this.calls.push({ name: 'applyPassword', ref });
        if (this.applyDelayMs) await new Promise((r) => setTimeout(r, this.applyDelayMs));
        if (this.applyFailure && (this.applyFailureSlot === null || this.applyFailureSlot === ref.slot)) {
          throw ApplicationFailure.nonRetryable(this.applyFailure, 'ConfigurationError');
        }
      },
      verifyLogin: async (ref) => void this.calls.push({ name: 'verifyLogin', ref }),
      publish: async ({ activate, actor: _actor, state, ...ref }) => {
        this.calls.push({ name: 'publish', ref, activate });
        if (state) this.states.push(structuredClone(state));
        return { secretVersion: activate ? this.published().length : null };
      },
      recordState: async ({ state }) => {
        this.calls.push({ name: 'recordState' });
        this.states.push(structuredClone(state));
      },
      saveConfig: async ({ patch }) => {
        this.config = applyConfigPatch(this.config, patch, new Date().toISOString());
        return this.config;
      },
      revokeCredentials: async () => void (this.revoked += 1),
      removeRotation: async ({ deleteSecrets, reason }) => void this.removed.push({ deleteSecrets, reason }),
    };
  }
}

export function sampleConfig(overrides: Partial<RotationConfig> = {}): RotationConfig {
  const now = new Date().toISOString();
  return {
    name: 'my-pg-rotation',
    description: null,
    projectId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
    environment: { id: '3c90c3cc-0d44-4b50-8888-8dd25736052b', slug: 'dev', name: 'Development' },
    folder: { id: '3c90c3cc-0d44-4b50-8888-8dd25736052c', path: '/' },
    connection: { app: 'postgres', id: '3c90c3cc-0d44-4b50-8888-8dd25736052d', name: 'my-pg-connection' },
    isAutoRotationEnabled: true,
    rotationInterval: 30,
    rotateAtUtc: { hours: 0, minutes: 0 },
    parameters: { username1: 'app_user_1', username2: 'app_user_2', rotationStatementPassword: 'verifier' },
    secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
    minimumOverlapSeconds: 0,
    rotationWindowMinutes: 0,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
