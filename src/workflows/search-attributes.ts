import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * The rotation's search attributes, filterable in the Temporal UI. The namespace must have them registered (an
 * unregistered key fails the workflow task), so the starter sets `projectId` only where they are, and the
 * workflow upserts the others only where the starter set `projectId`.
 */
export const rotationSearchAttributes = {
  projectId: defineSearchAttributeKey('PgRotationProjectId', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('PgRotationStatus', SearchAttributeType.KEYWORD),
  nextAt: defineSearchAttributeKey('PgRotationNextAt', SearchAttributeType.DATETIME),
} as const;
