/**
 * Plain-language meanings of veraPDF's PDF/A-1 rules (ISO 19005-1 clauses), for the check summary
 * shown to staff. Keyed by clause prefix, most specific first; the text of each key is translated
 * under documents.rules.<key>. A clause without a key falls back to veraPDF's own English
 * description, which the page marks as such.
 */
export const RULE_EXPLANATIONS: ReadonlyArray<{ prefix: string; key: string }> = [
  { prefix: '6.1.2', key: 'header' },
  { prefix: '6.1.3', key: 'trailer_encryption' },
  { prefix: '6.1.4', key: 'cross_reference' },
  { prefix: '6.1.7', key: 'streams' },
  { prefix: '6.1.10', key: 'lzw' },
  { prefix: '6.1.11', key: 'embedded_files' },
  { prefix: '6.1.12', key: 'limits' },
  { prefix: '6.1.13', key: 'optional_content' },
  { prefix: '6.1', key: 'file_structure' },
  { prefix: '6.2.2', key: 'output_intent' },
  { prefix: '6.2.3', key: 'device_colour' },
  { prefix: '6.2.4', key: 'images' },
  { prefix: '6.2.5', key: 'form_xobjects' },
  { prefix: '6.2.7', key: 'postscript' },
  { prefix: '6.2.8', key: 'graphics_state' },
  { prefix: '6.2', key: 'graphics' },
  { prefix: '6.3.4', key: 'fonts_not_embedded' },
  { prefix: '6.3.5', key: 'font_subsets' },
  { prefix: '6.3.6', key: 'font_widths' },
  { prefix: '6.3.8', key: 'unicode_maps' },
  { prefix: '6.3', key: 'fonts' },
  { prefix: '6.4', key: 'transparency' },
  { prefix: '6.5', key: 'annotations' },
  { prefix: '6.6', key: 'actions' },
  { prefix: '6.7.2', key: 'metadata_missing' },
  { prefix: '6.7.3', key: 'metadata_info_mismatch' },
  { prefix: '6.7.11', key: 'pdfa_identification' },
  { prefix: '6.7', key: 'metadata' },
  { prefix: '6.8', key: 'structure' },
  { prefix: '6.9', key: 'forms' },
];

export const RULE_EXPLANATION_KEYS: readonly string[] = [...new Set(RULE_EXPLANATIONS.map((entry) => entry.key))];

/** The explanation key for a clause ("6.3.4" → "fonts_not_embedded"), or null for none. */
export function explanationKey(clause: string): string | null {
  const found = RULE_EXPLANATIONS.find((entry) => clause === entry.prefix || clause.startsWith(`${entry.prefix}.`));
  return found?.key ?? null;
}
