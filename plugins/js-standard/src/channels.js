// Which channel a notice goes out on, and what to fall back to.

/** True if the host can deliver on `channel` (opt-outs checked again). */
export const isReachable = (customer, channel) =>
  customer.reachableChannels.includes(channel) && !customer.optedOutChannels.includes(channel);

/**
 * The channel for a notice in `tone` and its ordered fallbacks
 * (`{ channel, fallbacks }`), or `undefined` if the customer cannot be
 * reached at all.
 *
 * Urgent notices and high-value invoices go by text message when possible,
 * with email as the fallback; everything else goes by email, with text
 * message as the fallback. Without email, the customer's preferred channel
 * (or else the first reachable one) is used, falling back to the others.
 */
export function chooseChannel(customer, tone, highValue) {
  const reachable = (channel) => isReachable(customer, channel);
  const onlyIfReachable = (channel) => (reachable(channel) ? [channel] : []);

  if ((tone === 'urgent' || highValue) && reachable('sms')) {
    return { channel: 'sms', fallbacks: onlyIfReachable('email') };
  }
  if (reachable('email')) {
    return { channel: 'email', fallbacks: onlyIfReachable('sms') };
  }
  const usable = customer.reachableChannels.filter(reachable);
  const preferred = customer.preferredChannel;
  const channel = preferred != null && reachable(preferred) ? preferred : usable[0];
  if (channel === undefined) return undefined;
  const fallbacks = [...new Set(usable)].filter((other) => other !== channel);
  return { channel, fallbacks };
}
