// The sequence of reminders and which one comes next.

import { log } from 'nudge:policy/host@0.1.0';

import { addDays, daysOverdue, localTimestamp } from './dates.js';

/** The reminder sequence, in order: step name, day counted from the due date, tone. */
export const STEPS = Object.freeze([
  { name: 'pre-due', day: -1, tone: 'gentle' },
  { name: 'overdue-1', day: 1, tone: 'friendly' },
  { name: 'overdue-7', day: 7, tone: 'firm' },
  { name: 'overdue-14', day: 14, tone: 'urgent' },
]);

/**
 * The next step to send, given the notices already on the invoice:
 * `{ step, sendAt }`, or `{ wait }` (a BigInt timestamp, the escalation day)
 * when every step is done.
 *
 * Only steps after the most advanced one already in the history (whatever
 * its outcome) are candidates, and only those before the escalation day. Of
 * the candidates whose day has come, the most advanced is sent now (or at
 * the send hour today) and the others are skipped as superseded; if none
 * has come, the next one is sent at the send hour of its day.
 */
export function nextStep(ctx, settings) {
  const atSendHour = (day) =>
    localTimestamp(addDays(ctx.invoice.dueOn, day), settings.sendHour, 0, ctx.customer.utcOffsetMinutes);

  const sent = new Set(ctx.history.notices.map((notice) => notice.step));
  const done = STEPS.findLastIndex((step) => sent.has(step.name));
  const today = daysOverdue(ctx);
  const candidates = STEPS.slice(done + 1).filter((step) => step.day < settings.escalateAfterDays);
  const arrived = candidates.filter((step) => step.day <= today);
  const upcoming = candidates.filter((step) => step.day > today);

  if (arrived.length > 0) {
    const step = arrived.at(-1);
    const superseded = arrived.slice(0, -1);
    if (superseded.length > 0) {
      log('debug', `skipping superseded steps: ${superseded.map((s) => s.name).join(', ')}`);
    }
    const atHour = atSendHour(step.day);
    return { step, sendAt: atHour > ctx.now ? atHour : ctx.now };
  }
  if (upcoming.length > 0) {
    return { step: upcoming[0], sendAt: atSendHour(upcoming[0].day) };
  }
  return { wait: atSendHour(settings.escalateAfterDays) };
}
