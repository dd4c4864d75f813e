// Which segment a customer falls in.

/** `high-value`, `habitual-late`, `new` or `regular`: the first that applies. */
export function classify(history, highValue) {
  const onTime = history.invoicesPaidOnTime;
  const late = history.invoicesPaidLate;
  if (highValue) return 'high-value';
  if (late >= 2 && late > onTime) return 'habitual-late';
  if (onTime === 0 && late === 0) return 'new';
  return 'regular';
}
