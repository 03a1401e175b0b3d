/**
 * Renders page-wide propositions: DOM actions (setHtml, setText, setAttribute, setStyle,
 * insertBefore, insertAfter, appendHtml, remove, redirect, …), html items with a selector and
 * redirect items, with prehiding so the visitor never sees the default content flicker.
 * Rendered elements are marked `data-meridian-id` so clicks on them can be reported.
 *
 * @example
 *   const rendered = await renderPropositions(propositions, { waitMs: 5000 });
 */
import type { ItemData, Proposition, PropositionItem } from './types.ts';

export const PAGE_SCOPE = '__view__';
const SCHEMA = 'https://ns.adobe.com/personalization/';
export const DOM_ACTION_SCHEMA = `${SCHEMA}dom-action`;
export const HTML_SCHEMA = `${SCHEMA}html-content-item`;
export const JSON_SCHEMA = `${SCHEMA}json-content-item`;
export const REDIRECT_SCHEMA = `${SCHEMA}redirect-item`;
export const DEFAULT_SCHEMA = `${SCHEMA}default-content-item`;
/** The id of the container-prehiding style, shared with the install snippet. */
export const PREHIDING_ID = 'meridian-prehiding';
export const MARK_ATTRIBUTE = 'data-meridian-id';

/* ------------------------------------------------------------------ prehiding */

/** Hides the page's personalized containers until decisions arrive (no-op when already hidden). */
export function hideContainers(style: string | undefined): void {
  if (!style || document.getElementById(PREHIDING_ID)) return;
  const node = document.createElement('style');
  node.id = PREHIDING_ID;
  node.textContent = style;
  (document.head || document.documentElement).appendChild(node);
}

/** Removes the container prehiding, whether the snippet or `hideContainers` added it. */
export function showContainers(): void {
  document.getElementById(PREHIDING_ID)?.remove();
}

/** Selector → its hiding style and how many pending items still need it hidden. */
const hiddenSelectors = new Map<string, { node: HTMLStyleElement; pending: number }>();

function hideSelector(selector: string): void {
  const hidden = hiddenSelectors.get(selector);
  if (hidden) {
    hidden.pending++;
    return;
  }
  const node = document.createElement('style');
  node.textContent = `${selector} { visibility: hidden !important }`;
  (document.head || document.documentElement).appendChild(node);
  hiddenSelectors.set(selector, { node, pending: 1 });
}

function showSelector(selector: string): void {
  const hidden = hiddenSelectors.get(selector);
  if (!hidden || --hidden.pending > 0) return;
  hidden.node.remove();
  hiddenSelectors.delete(selector);
}

/* ------------------------------------------------------------------ DOM actions */

function mark(element: Element, propositionId: string): void {
  const ids = (element.getAttribute(MARK_ATTRIBUTE) ?? '').split(' ').filter(Boolean);
  if (!ids.includes(propositionId)) ids.push(propositionId);
  element.setAttribute(MARK_ATTRIBUTE, ids.join(' '));
}

/** Inserts HTML next to or inside `element` and marks the inserted elements. */
function insert(element: Element, where: InsertPosition, html: string, propositionId: string): void {
  const anchor = where === 'beforebegin' ? element.previousSibling : where === 'afterend' ? element.nextSibling : where === 'afterbegin' ? element.firstChild : element.lastChild;
  element.insertAdjacentHTML(where, html);
  const inserted: Element[] = [];
  if (where === 'beforebegin') for (let n = element.previousSibling; n && n !== anchor; n = n.previousSibling) if (n instanceof Element) inserted.push(n);
  if (where === 'afterend') for (let n = element.nextSibling; n && n !== anchor; n = n.nextSibling) if (n instanceof Element) inserted.push(n);
  if (where === 'afterbegin') for (let n = element.firstChild; n && n !== anchor; n = n.nextSibling) if (n instanceof Element) inserted.push(n);
  if (where === 'beforeend') for (let n = element.lastChild; n && n !== anchor; n = n.previousSibling) if (n instanceof Element) inserted.push(n);
  for (const node of inserted) mark(node, propositionId);
}

/** `{ name: value }` from an object content, or from `name` + a string content. */
function pairs(data: ItemData): [string, string][] {
  if (data.content && typeof data.content === 'object') return Object.entries(data.content as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  return data.name ? [[data.name, String(data.content ?? '')]] : [];
}

/** Applies one action to one element; false when the action type is unknown. */
function applyToElement(element: Element, data: ItemData, propositionId: string): boolean {
  const text = typeof data.content === 'string' ? data.content : '';
  switch (data.type) {
    case 'setHtml':
      element.innerHTML = text;
      break;
    case 'setText':
      element.textContent = text;
      break;
    case 'setAttribute':
      for (const [name, value] of pairs(data)) element.setAttribute(name, value);
      break;
    case 'setImageSource':
      element.setAttribute('src', text);
      break;
    case 'setStyle': {
      const style = (element as HTMLElement).style;
      if (!style) return false;
      const priority = data.content && typeof data.content === 'object' ? String((data.content as Record<string, unknown>).priority ?? '') : '';
      for (const [name, value] of pairs(data)) if (name !== 'priority') style.setProperty(name, value, priority);
      break;
    }
    case 'insertBefore':
      insert(element, 'beforebegin', text, propositionId);
      return true;
    case 'insertAfter':
      insert(element, 'afterend', text, propositionId);
      return true;
    case 'appendHtml':
      insert(element, 'beforeend', text, propositionId);
      return true;
    case 'prependHtml':
      insert(element, 'afterbegin', text, propositionId);
      return true;
    case 'replaceHtml':
      element.outerHTML = text;
      return true;
    case 'remove':
      element.remove();
      return true;
    default:
      return false;
  }
  mark(element, propositionId);
  return true;
}

/** The elements matching `selector`, waiting (until `deadline`) for at least one to appear. */
function waitForElements(selector: string, deadline: number): Promise<Element[]> {
  const find = (): Element[] => {
    try {
      return Array.from(document.querySelectorAll(selector));
    } catch {
      return []; // an invalid selector matches nothing
    }
  };
  const now = find();
  if (now.length > 0 || Date.now() >= deadline) return Promise.resolve(now);
  return new Promise((resolve) => {
    const done = (found: Element[]) => {
      observer.disconnect();
      clearTimeout(timer);
      resolve(found);
    };
    const observer = new MutationObserver(() => {
      const found = find();
      if (found.length > 0) done(found);
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
    const timer = setTimeout(() => done(find()), deadline - Date.now());
  });
}

export interface RenderOptions {
  /** How long an action waits for its selector to appear. */
  waitMs: number;
  /**
   * Called once every item's element is hidden, before anything is applied: the moment the
   * page-wide container prehiding can go (elements without decisions show at once).
   */
  afterHiding?: () => void;
  /** Called before a redirect leaves the page (to report the display first). */
  beforeRedirect?: (proposition: Proposition) => void;
  log?: (message: string, detail?: unknown) => void;
}

/** The item's action data, normalizing html and redirect items to dom-action shapes. */
function actionOf(item: PropositionItem): ItemData | undefined {
  const data = item.data ?? {};
  if (item.schema === DOM_ACTION_SCHEMA) return data;
  if (item.schema === REDIRECT_SCHEMA) return { type: 'redirect', content: data.content };
  if (item.schema === HTML_SCHEMA && data.selector) return { ...data, type: data.type ?? 'setHtml' };
  return undefined;
}

/** True when the SDK renders this proposition by itself: page-wide scope (or a page surface). */
export function isPageWide(proposition: Proposition): boolean {
  return proposition.scope === PAGE_SCOPE || proposition.scope.startsWith('web://');
}

/** Applies one item; resolves true when it changed the page (or needs no change). */
async function renderItem(item: PropositionItem, proposition: Proposition, options: RenderOptions, deadline: number): Promise<boolean> {
  if (item.schema === DEFAULT_SCHEMA) return true; // the control experience: the page as it is
  const data = actionOf(item);
  if (!data) return false;
  if (data.type === 'redirect') {
    if (typeof data.content !== 'string' || !data.content) return false;
    options.beforeRedirect?.(proposition);
    location.replace(data.content);
    return true;
  }
  if (!data.selector) return false;
  const elements = await waitForElements(data.selector, deadline);
  if (elements.length === 0) {
    options.log?.(`no element matches ${data.selector}`, item);
    return false;
  }
  let applied = true;
  for (const element of elements) applied = applyToElement(element, data, proposition.id) && applied;
  if (!applied) options.log?.(`unsupported action ${String(data.type)}`, item);
  return applied;
}

/**
 * Renders the given propositions' items (each item waits for its selector at most
 * `options.waitMs`). Each item's `prehidingSelector` (or selector) stays hidden until that item
 * is done, so content is never seen in its default state.
 * Resolves with the propositions whose every item rendered; each gets `renderAttempted: true`.
 */
export async function renderPropositions(propositions: readonly Proposition[], options: RenderOptions): Promise<Proposition[]> {
  const deadline = Date.now() + options.waitMs;
  // Each item's element stays hidden from now until that item is done (or gave up waiting).
  const hiding = new Map<PropositionItem, string>();
  for (const proposition of propositions)
    for (const item of proposition.items) {
      const data = actionOf(item);
      const selector = data?.prehidingSelector ?? data?.selector;
      if (selector && data?.type !== 'redirect') {
        hideSelector(selector);
        hiding.set(item, selector);
      }
    }
  options.afterHiding?.();
  const outcomes = await Promise.all(
    propositions.map(async (proposition) => {
      proposition.renderAttempted = true;
      const results = await Promise.all(
        proposition.items.map(async (item) => {
          try {
            return await renderItem(item, proposition, options, deadline);
          } finally {
            const selector = hiding.get(item);
            if (selector) showSelector(selector);
          }
        }),
      );
      return results.every(Boolean) ? proposition : undefined;
    }),
  );
  return outcomes.filter((p): p is Proposition => p !== undefined);
}

/** Marked propositions ids on the clicked element and its ancestors, nearest first. */
export function markedIds(target: EventTarget | null): string[] {
  const ids: string[] = [];
  for (let node = target instanceof Element ? target : null; node; node = node.parentElement) {
    for (const id of (node.getAttribute(MARK_ATTRIBUTE) ?? '').split(' ')) if (id && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
