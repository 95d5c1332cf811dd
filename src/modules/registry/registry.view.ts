/**
 * How the registry's list names the values of its enumerations (the objects module's kinds and
 * stages, the review statuses) in the reader's language.
 */
import type { Language } from '../../config.ts';
import { translator } from '../../web/i18n.ts';
import { LIFECYCLE_STAGES } from '../objects/lifecycle.ts';
import { OBJECT_KINDS } from '../objects/passport.ts';
import { REVIEW_STATUSES, reviewStatusLabel } from './registry.service.ts';

interface Labels {
  kinds: Record<string, string>;
  stages: Record<string, string>;
  reviewStatuses: Record<string, string>;
}

const labelCache = new Map<Language, Labels>();
/** The labels of the enumerations (the objects module's), translated once per language: a page shows them on every row. */
export function labelsFor(language: Language): Labels {
  let labels = labelCache.get(language);
  if (!labels) {
    const t = translator(language);
    labels = {
      kinds: Object.fromEntries(OBJECT_KINDS.map((kind) => [kind, t(`objects.kinds.${kind}`)])),
      stages: Object.fromEntries(LIFECYCLE_STAGES.map((stage) => [stage, t(`objects.stages.${stage}`)])),
      reviewStatuses: Object.fromEntries(REVIEW_STATUSES.map((status) => [status, reviewStatusLabel(t, status)])),
    };
    labelCache.set(language, labels);
  }
  return labels;
}
