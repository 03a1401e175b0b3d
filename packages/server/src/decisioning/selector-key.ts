/**
 * Which element a DOM action's CSS selector changes, as far as the selector alone tells, for
 * page-scope conflicts (keyed once per snapshot in `snapshot.ts`, compared by `decide.ts`): two
 * selectors with the same key change the same element.
 * Without the page's DOM, overlap (a parent and its child, two different paths to one element)
 * cannot be known; what can:
 * - spelling: whitespace around combinators, and the case of tag names (`HTML > BODY > H1` is
 *   `html>body>h1`); ids, classes and everything inside brackets, quotes or parentheses keep theirs;
 * - ids: a selector whose last compound names an id changes the element with that id, whatever
 *   comes before it or with it (`div#hero`, `main #hero`, `#hero.banner` are all `#hero`), since
 *   an id names one element of a page.
 * A selector list (`a, b`) is kept as written (trimmed).
 *
 * @example
 *   selectorKey('BODY > DIV#hero.wide');  // '#hero'
 *   selectorKey('nav   .old');            // 'nav .old'
 */

/** Splits a selector into compounds and the combinators between them, outside brackets, quotes and parentheses. */
function compoundsOf(selector: string): { compounds: string[]; combinators: string[] } | undefined {
  const compounds: string[] = [];
  const combinators: string[] = [];
  let current = '';
  let depth = 0;
  let quote: string | undefined;
  let pending: string | undefined;
  const flush = () => {
    if (current === '') return;
    if (compounds.length > 0) combinators.push(pending ?? ' ');
    compounds.push(current);
    current = '';
    pending = undefined;
  };
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (quote) {
      current += c;
      if (c === '\\' && i + 1 < selector.length) current += selector[++i];
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < selector.length) {
      current += c + selector[++i];
      continue;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && c === ',') return undefined; // a selector list
    else if (depth === 0 && (c === '>' || c === '+' || c === '~')) {
      flush();
      pending = c;
      continue;
    } else if (depth === 0 && /\s/.test(c)) {
      flush();
      continue;
    }
    current += c;
  }
  if (quote || depth !== 0) return undefined;
  flush();
  return { compounds, combinators };
}

/** The element key of a selector (see the module comment). */
export function selectorKey(selector: string): string {
  const text = selector.trim();
  const parts = compoundsOf(text);
  if (!parts || parts.compounds.length === 0) return text;
  const compounds = parts.compounds.map((compound) => compound.replace(/^[A-Za-z][A-Za-z0-9-]*/, (tag) => tag.toLowerCase()));
  // An id of the last compound, outside its brackets and parentheses (`:not(#x)` names no element).
  const last = compounds[compounds.length - 1].replace(/\([^)]*\)|\[[^\]]*\]/g, '');
  const id = /#((?:[A-Za-z0-9_-]|\\.)+)/.exec(last);
  if (id) return `#${id[1]}`;
  return compounds.map((compound, i) => (i === 0 ? compound : parts.combinators[i - 1] + compound)).join('');
}
