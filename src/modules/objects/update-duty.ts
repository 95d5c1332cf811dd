/**
 * The update duty of 003 §9: the information is brought up to date on the portal no later than
 * 10 working days after it changed in reality or its absence was detected. When a duty is due,
 * and where it stands on a given day (Asia/Almaty). Pure: no I/O.
 *
 * How the duty is recorded (update_duties):
 *   - every save records when the information changed (informationChangedOn) and a duty of source
 *     `information_changed` due 10 working days later, fulfilled by the save itself: a record of
 *     timeliness (late when saved after its due day);
 *   - a lifecycle move opens a `lifecycle_move` duty (bring the information and documentation up to
 *     date for the new stage), its description is the move's id;
 *   - a reviewer's report that information is missing or out of date opens a `reviewer_report` duty;
 *   - any save of the passport fulfils every open duty of the object (fulfilled_version): saving is
 *     how the owner brings the information up to date, and a save without changes confirms that the
 *     information on the portal is current.
 * A duty is overdue while open after its due day (Asia/Almaty), as the registry list counts it.
 */
import type { FieldError } from '../../errors.ts';
import {
  addWorkingDays,
  type CalendarData,
  CalendarYearMissingError,
  type DeadlineStatus,
  deadlineStatus,
  endOfAlmatyDay,
  toAlmatyDate,
} from '../calendar/working-days.ts';
import { isIsoDate } from './lifecycle.ts';
import type { OrganizationRef } from '../organizations/organizations.repository.ts';

/** 003 §9: the portal is updated no later than 10 working days after the information changed. */
export const UPDATE_DUTY_WORKING_DAYS = 10;

export const DUTY_SOURCES = ['information_changed', 'lifecycle_move', 'reviewer_report'] as const;
export type DutySource = (typeof DUTY_SOURCES)[number];
export const DUTY_STATUS_FILTERS = ['open', 'overdue', 'fulfilled', 'all'] as const;
export type DutyStatusFilter = (typeof DUTY_STATUS_FILTERS)[number];

/** An update duty as stored, with the names of its object, organization and people. */
export interface DutyRecord {
  id: string;
  objectId: string;
  objectName: { kk: string; ru: string };
  organization: OrganizationRef;
  source: DutySource;
  /** For reviewer_report: the reviewer's text; for lifecycle_move: the move's id. */
  description: string | null;
  changedOn: string;
  dueOn: string;
  openedAt: Date;
  openedByName: string | null;
  fulfilledAt: Date | null;
  fulfilledByName: string | null;
  fulfilledVersion: number | null;
}

/** A duty as it stands at a moment. */
export interface DutyView extends DutyRecord {
  status: 'open' | 'overdue' | 'fulfilled';
  /** Fulfilled on or before its due day; null while open. */
  onTime: boolean | null;
  /** Working days left or overdue; null once fulfilled. */
  deadline: DeadlineStatus | null;
}

export function toDutyView(record: DutyRecord, now: Date, calendar: CalendarData): DutyView {
  const today = toAlmatyDate(now);
  const fulfilled = record.fulfilledAt !== null;
  return {
    ...record,
    status: fulfilled ? 'fulfilled' : record.dueOn < today ? 'overdue' : 'open',
    onTime: record.fulfilledAt === null ? null : toAlmatyDate(record.fulfilledAt) <= record.dueOn,
    deadline: fulfilled ? null : deadlineStatus(now, endOfAlmatyDay(record.dueOn), calendar),
  };
}

/** The due day of a duty for a change on `day`, or the year the working-day calendar lacks. */
export function dueDay(day: string, calendar: CalendarData): string | { year: number } {
  try {
    return addWorkingDays(day, UPDATE_DUTY_WORKING_DAYS, calendar);
  } catch (error) {
    if (error instanceof CalendarYearMissingError) return { year: error.year };
    throw error;
  }
}

/**
 * The day the information changed (or a move happened, or an absence was detected): a real day,
 * not after today, in a year the working-day calendar knows; with the due day of the duty.
 */
export function changeDay(value: unknown, field: string, today: string, calendar: CalendarData): { ok: true; day: string; dueOn: string } | { ok: false; error: FieldError } {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, error: { field, rule: 'required' } };
  const day = value.trim();
  if (!isIsoDate(day)) return { ok: false, error: { field, rule: 'date_invalid' } };
  if (day > today) return { ok: false, error: { field, rule: 'date_in_future', params: { limit: today } } };
  const dueOn = dueDay(day, calendar);
  if (typeof dueOn !== 'string') return { ok: false, error: { field, rule: 'calendar_year_missing', params: { year: dueOn.year } } };
  return { ok: true, day, dueOn };
}
