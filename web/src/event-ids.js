// Event ids: the stream's ids are decimal integers (1, 2, 3 ... per job), possibly beyond 2^53.

export const DIGITS = /^[0-9]+$/;

/**
 * Is event id `id` after `last`? Only decimal ids can be ordered; any other id counts as new.
 * Compared as digit strings so ids beyond 2^53 stay exact.
 * @param {string} id
 * @param {string} last
 * @returns {boolean}
 */
export function isAfter(id, last) {
  if (!DIGITS.test(id) || !DIGITS.test(last)) return true;
  const a = id.replace(/^0+(?=.)/, "");
  const b = last.replace(/^0+(?=.)/, "");
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}
