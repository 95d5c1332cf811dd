import type { Role, UserRow } from '../db/database.ts';
import { AppError } from '../errors.ts';

/** Who is acting: the signed-in user as every service function receives it. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  /** Staff act for exactly this organization; other roles may belong to one without being scoped to it. */
  organizationId: string | null;
  fullName: string;
}

/** A person's full name as the portal writes it (surname, given name, patronymic); null without a surname. */
export function personName(row: { surname: string | null; given_name: string | null; patronymic: string | null } | null | undefined): string | null {
  if (!row?.surname) return null;
  return [row.surname, row.given_name, row.patronymic].filter(Boolean).join(' ');
}

/** The acting user from their row. */
export function toAuthUser(row: Pick<UserRow, 'id' | 'email' | 'role' | 'organization_id' | 'surname' | 'given_name' | 'patronymic'>): AuthUser {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    organizationId: row.organization_id,
    fullName: personName(row) ?? '',
  };
}

/**
 * The permission table: what each role may do. Services check it as their first line
 * (`requirePermission(actor, …)`); routes declare the same permission so the route/role test
 * can enumerate them. Organization scoping (staff see only their organization's records) is a
 * separate, per-record check: `requireSameOrganization`.
 */
export const PERMISSIONS = {
  'account_requests.review': ['reviewer', 'admin'],
  'users.manage': ['admin'],
  'organizations.manage': ['admin'],
  'organizations.read': ['reviewer', 'auditor', 'admin', 'authorized_officer'],
  'calendar.manage': ['admin'],
  'outbox.read': ['admin'],
  'system.status': ['admin'],
  'audit.read': ['auditor', 'admin'],
  /** The registry as numbers for the authorized body (001 §3.7, 004 §18): counts, gaps, late duties, review deadlines. */
  'monitoring.read': ['auditor', 'admin', 'authorized_officer'],
  'account.self': ['staff', 'reviewer', 'auditor', 'admin', 'authorized_officer'],
  /** Staff read only their own organization's objects (requireSameOrganization); the others read all. */
  'objects.read': ['staff', 'reviewer', 'auditor', 'admin', 'authorized_officer'],
  /** Registering and updating objects is the owner's job (003 §5, §9): staff, for their organization. */
  'objects.edit': ['staff'],
  /** The service integrator records that information is missing or out of date (003 §9). */
  'objects.report_outdated': ['reviewer', 'admin'],
  'duties.read_all': ['reviewer', 'auditor', 'admin'],
  /** Review cases of the service integrator (003 §8): reviewers work them, auditors read them. */
  'reviews.read': ['reviewer', 'auditor', 'admin'],
  'reviews.decide': ['reviewer', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(user: AuthUser | null | undefined, permission: Permission): boolean {
  return !!user && (PERMISSIONS[permission] as readonly Role[]).includes(user.role);
}

/** Throws UNAUTHENTICATED for nobody, FORBIDDEN for a user without the permission. */
export function requirePermission(user: AuthUser | null | undefined, permission: Permission): asserts user is AuthUser {
  if (!user) throw new AppError('UNAUTHENTICATED');
  if (!can(user, permission)) throw new AppError('FORBIDDEN', `permission ${permission} required`);
}

/** State-body staff may touch only their own organization's records; other roles pass by their permission. */
export function requireSameOrganization(user: AuthUser, organizationId: string): void {
  if (user.role === 'staff' && user.organizationId !== organizationId) {
    // Not FORBIDDEN: another organization's record must not even be confirmed to exist.
    throw new AppError('NOT_FOUND');
  }
}

/** What a route declares in `config.access`; a route without it fails at boot. */
export type RouteAccess = 'public' | 'signed_in' | { permission: Permission };
