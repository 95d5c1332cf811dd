/**
 * The manifest a signed submission signs: one canonical JSON text (RFC 8785, the `canonicalize`
 * package the audit log uses too) naming the object, the organization and every document by its
 * SHA-256, so the signature covers the files without carrying them — and, for a review submission,
 * the passport's version and the SHA-256 of its canonical JSON. The same input always gives the
 * same bytes; documents are ordered by slot and file name.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';

export const submissionManifestSchema = z.object({
  kind: z.literal('submission'),
  objectId: z.string().min(1),
  submissionId: z.string().min(1),
  organizationBin: z.string().regex(/^\d{12}$/),
  submittedAt: z.iso.datetime(),
  objectVersion: z.number().int().positive().optional(),
  passportSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  documents: z.array(z.object({
    slot: z.string().min(1),
    fileName: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
  })).min(1),
});
export type SubmissionManifest = z.infer<typeof submissionManifestSchema>;

export interface CanonicalManifest {
  text: string;
  bytes: Uint8Array;
  sha256: string;
}

export function canonicalManifest(input: SubmissionManifest): CanonicalManifest {
  const manifest = submissionManifestSchema.parse(input);
  const documents = [...manifest.documents].sort((a, b) => (a.slot === b.slot ? (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0) : a.slot < b.slot ? -1 : 1));
  const text = canonicalize({ ...manifest, documents });
  if (text === undefined) throw new Error('manifest cannot be canonicalized');
  const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
  return { text, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
