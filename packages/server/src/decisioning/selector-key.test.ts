import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorKey } from './selector-key.ts';

test('selectors spelled differently for one element share a key', () => {
  assert.equal(selectorKey('HTML > BODY > H1'), selectorKey('html>body>h1'), 'tag names have no case; spaces around combinators mean nothing');
  assert.equal(selectorKey('  nav   .old '), 'nav .old');
  assert.equal(selectorKey('ul  +  li ~ P'), 'ul+li~p');
  for (const s of ['#hero', 'div#hero', 'main #hero', '#hero.banner', 'BODY > DIV#hero:hover', 'section > div.wide#hero[data-x="y"]']) assert.equal(selectorKey(s), '#hero', s);
});

test('what the selector alone cannot tell apart stays apart', () => {
  assert.notEqual(selectorKey('#hero'), selectorKey('#Hero'), 'ids are case-sensitive');
  assert.notEqual(selectorKey('.Promo'), selectorKey('.promo'), 'classes too');
  assert.notEqual(selectorKey('#hero h1'), selectorKey('#hero'), 'a child of #hero is another element');
  assert.equal(selectorKey('div:not(#hero)'), 'div:not(#hero)', 'an id inside :not() names no element');
  assert.equal(selectorKey('a[href="#top"]'), 'a[href="#top"]', 'a # inside an attribute value is no id');
  assert.equal(selectorKey('#a, #b'), '#a, #b', 'a selector list is kept as written');
  assert.equal(selectorKey('DIV:nth-of-type(2n + 1) > SPAN'), 'div:nth-of-type(2n + 1)>span', 'parentheses keep their spaces');
  assert.equal(selectorKey('a[title="x > y"]'), 'a[title="x > y"]', 'quotes keep their content');
});
