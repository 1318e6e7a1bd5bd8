import { Type } from '@sinclair/typebox';
import { EpochMs, Id } from '@vigil/schemas';

/** `{ id }` path parameters (registry ids). */
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = { id: string };

/** A name in English and Chinese (every user-facing text in both). */
export const Names = { name_en: Type.String({ minLength: 1, maxLength: 128 }), name_zh: Type.String({ minLength: 1, maxLength: 128 }) };

/** A time window and a page size. */
export const windowQuery = (maxLimit: number, defaultLimit = maxLimit) => ({
  from: Type.Optional(EpochMs),
  to: Type.Optional(EpochMs),
  limit: Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit }),
});

/** ms -> Date for a query parameter, or null. */
export const dateOrNull = (ms: number | undefined): Date | null => (ms === undefined ? null : new Date(ms));

/** 23505 unique_violation. */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';
