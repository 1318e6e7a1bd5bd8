import { UUID_PATTERN } from '@vigil/schemas';

/** A UUID, as the alerts table keys them. */
export const UUID_RE = new RegExp(UUID_PATTERN);
