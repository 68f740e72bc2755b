// The API's numbers are read from their source text, so no figure ever passes through a float:
// integers become BigInt, and each cost_usd (a decimal of at most 6 places, possibly written
// as 2.5e-05) becomes exact BigInt micro-dollars under the name cost_micros.

const INTEGER = /^-?\d+$/;
const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MICRO_DIGITS = 6;

export function parseExactJSON(text) {
  return JSON.parse(text, revive);
}

function revive(key, value, context) {
  if (typeof value === 'number') {
    // context.source is the number as written; String(value) is the fallback of browsers
    // without JSON.parse source text access (exact for cost_usd, since it has ≤ 6 decimals).
    const source = context?.source ?? String(value);
    if (key === 'cost_usd') return decimalToMicros(source);
    return INTEGER.test(source) ? BigInt(source) : value;
  }
  if (value !== null && typeof value === 'object' && 'cost_usd' in value) {
    value.cost_micros = value.cost_usd;
    delete value.cost_usd;
  }
  return value;
}

// "4.8" → 4800000n, "1e-06" → 1n; a digit beyond the sixth decimal rounds half to even,
// as the server rounds.
export function decimalToMicros(text) {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal: ${text}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = BigInt(`${whole}${fraction}` || '0');
  const shift = Number(exponent) - fraction.length + MICRO_DIGITS;
  const micros = shift >= 0 ? digits * 10n ** BigInt(shift) : divideHalfEven(digits, 10n ** BigInt(-shift));
  return sign === '-' ? -micros : micros;
}

function divideHalfEven(numerator, divisor) {
  const quotient = numerator / divisor;
  const twiceRemainder = (numerator % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}
