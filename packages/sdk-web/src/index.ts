/**
 * The module build (`dist/meridian.mjs`): for bundlers and `<script type="module">`.
 *
 * @example
 *   import { createMeridian } from '@meridian/sdk-web';
 *   const meridian = createMeridian();
 *   await meridian.configure({ configId: '…', edgeUrl: 'https://cdp.example.com' });
 */
export { createMeridian, DEFAULT_ORG_ID, type Meridian } from './sdk.ts';
export { renderPropositions, hideContainers, showContainers, PAGE_SCOPE, PREHIDING_ID } from './render.ts';
export { cookiePrefix, ecidFromIdentityCookie } from './cookies.ts';
export { SDK_VERSION } from './context.ts';
export type * from './types.ts';
