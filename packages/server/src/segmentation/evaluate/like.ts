/**
 * SQL-style `like` patterns without regular expressions: `%` is any run of characters, `_`
 * exactly one, the whole string must match. The matcher is the classic two-pointer wildcard
 * algorithm (back up to the last `%` on a mismatch), so it runs in O(text × pattern) at worst
 * and never backtracks exponentially. `_` consumes a whole surrogate pair.
 *
 * @example
 *   likeMatches('Los Angeles', '%es%');  // true
 *   likeMatches('Los Angeles', 'Los_Angeles');  // true
 */

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Width in code units of the character starting at `i`. */
function charWidth(text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

/**
 * Whether `text` matches the `like` pattern (case-sensitive; no escape character).
 *
 * @example
 *   likeMatches('Paris', '%es%');  // false
 */
export function likeMatches(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  const n = text.length;
  const m = pattern.length;
  while (t < n) {
    const pc = p < m ? pattern.charCodeAt(p) : -1;
    if (pc === 37 /* % */) {
      starP = p++;
      starT = t;
    } else if (pc === 95 /* _ */) {
      t += charWidth(text, t);
      p++;
    } else if (pc !== -1 && pc === text.charCodeAt(t)) {
      t++;
      p++;
    } else if (starP >= 0) {
      p = starP + 1;
      starT += charWidth(text, starT);
      t = starT;
    } else {
      return false;
    }
  }
  while (p < m && pattern.charCodeAt(p) === 37) p++;
  return p === m;
}
