// The standard reference policy for nudge, in JavaScript (componentize-js).
//
// One gentle reminder the day before the due date, then friendly, firm and
// urgent ones 1, 7 and 14 days after it, each at 10:00 in the customer's
// time zone; escalation to support once the invoice is 30 days overdue.
// Text messages are used for urgent reminders and high-value invoices. The
// rules are those of `plugins/standard` (see its README), decision for
// decision.
//
// This module's exports are the `nudge:policy/policy@0.1.0` world's:
// `decide` and `describe`. WIT values map to JavaScript as componentize-js
// maps them: records are objects with camelCase fields, enums are their
// kebab-case names, variants are `{ tag, val }`, `s64`/`u64` are BigInts,
// and a thrown `PolicyError` is the `err` of `decide`'s result.

import { chooseChannel } from './channels.js';
import { dateAt, daysBetween, daysOverdue } from './dates.js';
import { classify } from './segment.js';
import { readSettings } from './settings.js';
import { nextStep } from './steps.js';

/** What the policy says about itself. */
export function describe() {
  return { name: 'standard', version: '1.0.0', experiments: [] };
}

/** The decision for the invoice in `ctx`; throws a `PolicyError` to decline. */
export function decide(ctx) {
  const settings = readSettings(ctx.config);
  const highValue = ctx.invoice.total.amountMinor >= settings.highValueMinor;
  const segment = classify(ctx.history, highValue);

  const reason = stopReason(ctx.invoice);
  if (reason !== undefined) {
    return { segment, action: { tag: 'stop', val: reason } };
  }
  const overdue = daysOverdue(ctx);
  if (overdue >= settings.escalateAfterDays) {
    const why = `${overdue} days overdue; escalating after ${settings.escalateAfterDays} days`;
    return { segment, action: { tag: 'escalate', val: why } };
  }

  const next = nextStep(ctx, settings);
  if (next.wait !== undefined) {
    return { segment, action: { tag: 'wait', val: next.wait } };
  }
  const { step, sendAt } = next;
  const chosen = chooseChannel(ctx.customer, step.tone, highValue);
  if (chosen === undefined) {
    return { segment, action: { tag: 'escalate', val: 'no reachable channel' } };
  }
  // Days overdue on the day the notice goes out, as the customer will read it.
  const sendDay = dateAt(sendAt, ctx.customer.utcOffsetMinutes);
  const daysOverdueThen = daysBetween(ctx.invoice.dueOn, sendDay);
  const notice = {
    sendAt,
    channel: chosen.channel,
    fallbacks: chosen.fallbacks,
    tone: step.tone,
    template: '',
    step: step.name,
    fields: [
      ['days_overdue', String(daysOverdueThen)],
      ['segment', segment],
    ],
  };
  return { segment, action: { tag: 'notify', val: notice } };
}

/** Why no reminder may go out for this invoice any more, if so. */
function stopReason(invoice) {
  if (invoice.status !== 'open') {
    return `invoice is ${invoice.status}`;
  }
  if (invoice.amountRemaining.amountMinor <= 0n) {
    return 'invoice is paid (nothing remaining)';
  }
  if (invoice.disputed) {
    return 'invoice is disputed';
  }
  return undefined;
}
