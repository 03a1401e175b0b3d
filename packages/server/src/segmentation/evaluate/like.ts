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

/**
 * A matcher for a fixed `like` pattern, prepared once: a pattern without `_` is literal pieces
 * between `%`s, matched with `startsWith`/`endsWith` and a left-to-right `indexOf` for each
 * middle piece (placing each piece at its leftmost occurrence leaves the most room for the
 * rest, so this finds a match whenever one exists); a pattern with `_` uses `likeMatches`.
 *
 * @example
 *   const m = likeMatcher('%/p5%');
 *   m('https://shop.example.com/p5/item');  // true
 */
export function likeMatcher(pattern: string): (text: string) => boolean {
  if (pattern.includes('_')) return (text) => likeMatches(text, pattern);
  if (!pattern.includes('%')) return (text) => text === pattern;
  const parts = pattern.split('%');
  const first = parts[0];
  const last = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  const fixed = first.length + last.length;
  return (text) => {
    if (text.length < fixed || !text.startsWith(first) || !text.endsWith(last)) return false;
    const limit = text.length - last.length;
    let pos = first.length;
    for (const piece of middle) {
      const at = text.indexOf(piece, pos);
      if (at < 0 || at + piece.length > limit) return false;
      pos = at + piece.length;
    }
    return true;
  };
}
