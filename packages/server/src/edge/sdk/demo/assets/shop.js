/*
 * Northwind Outfitters: a small single-page storefront that shows Meridian's web SDK at work.
 * Views: home, category, product, sign-in. The SDK sends a page view (and renders page-wide
 * activities on #hero and #promo) on load and on every view change; the shop adds product
 * views, cart adds, sign-in identities and consent choices.
 */
(function () {
  'use strict';

  var PRODUCTS = [
    { sku: 'NW-J100', name: 'Ridgeline Shell Jacket', category: 'jackets', price: 189, color: '#3b6e8f', blurb: 'Three-layer waterproof shell for alpine weather.' },
    { sku: 'NW-J200', name: 'Cinder Down Hoodie', category: 'jackets', price: 229, color: '#8f3b3b', blurb: '800-fill down that packs into its own pocket.' },
    { sku: 'NW-J300', name: 'Tidewater Rain Parka', category: 'jackets', price: 149, color: '#2f7a5d', blurb: 'Long cut, taped seams, ventilated back.' },
    { sku: 'NW-F100', name: 'Switchback Trail Runner', category: 'footwear', price: 135, color: '#c4702a', blurb: 'Grippy lugs and a rock plate for technical trails.' },
    { sku: 'NW-F200', name: 'Summit GTX Boot', category: 'footwear', price: 219, color: '#5b4a3a', blurb: 'Waterproof mid boot with a stiff shank.' },
    { sku: 'NW-F300', name: 'Camp Slide', category: 'footwear', price: 45, color: '#6b6bb0', blurb: 'For the end of a long day.' },
    { sku: 'NW-P100', name: 'Traverse 38 Pack', category: 'packs', price: 169, color: '#445a2e', blurb: 'Frame-sheet pack for overnights and big days.' },
    { sku: 'NW-P200', name: 'Daybreak 18 Pack', category: 'packs', price: 89, color: '#2e4f5a', blurb: 'Light daypack with hydration sleeve.' },
  ];
  var CATEGORIES = { jackets: 'Jackets', footwear: 'Footwear', packs: 'Packs' };

  var app = document.getElementById('app');
  var params = new URLSearchParams(location.search);
  var config = window.MERIDIAN_DEMO || {};
  var storedConfig = sessionStorage.getItem('meridian-demo');
  if (config.configId && !config.error) sessionStorage.setItem('meridian-demo', JSON.stringify(config));
  else if (!config.configId && storedConfig) config = JSON.parse(storedConfig);

  function readJson(key, fallback) {
    try {
      return JSON.parse(localStorage.getItem(key) || '') || fallback;
    } catch (e) {
      return fallback;
    }
  }
  var user = readJson('northwind-user', null);
  var cart = readJson('northwind-cart', []);
  /** Where signing in returns to: the view the visitor opened the sign-in form from. */
  var returnTo = '/demo/';

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  /** A product picture drawn inline (the demo loads nothing from other sites). */
  function art(product) {
    var shapes = {
      jackets: '<path d="M70 40 L100 30 L130 40 L150 70 L135 80 L130 70 L130 150 L70 150 L70 70 L65 80 L50 70 Z" fill="rgba(255,255,255,.85)"/>',
      footwear: '<path d="M45 110 L80 105 L95 80 L115 85 L120 105 L155 115 L158 130 L45 130 Z" fill="rgba(255,255,255,.85)"/>',
      packs: '<rect x="70" y="45" width="60" height="95" rx="18" fill="rgba(255,255,255,.85)"/><rect x="82" y="95" width="36" height="30" rx="6" fill="' + product.color + '"/>',
    };
    return '<svg viewBox="0 0 200 180" role="img" aria-label="' + escapeHtml(product.name) + '"><rect width="200" height="180" fill="' + product.color + '"/>' + shapes[product.category] + '</svg>';
  }

  function card(product) {
    return (
      '<a class="card" href="/demo/product/' + product.sku + '" data-link>' + art(product) +
      '<span class="name">' + escapeHtml(product.name) + '</span><span class="price">$' + product.price + '</span></a>'
    );
  }

  function sdk(command, options) {
    if (!config.configId || config.error) return Promise.resolve(undefined);
    return window.meridian(command, options);
  }

  /* ------------------------------------------------------------------ views */

  function home() {
    document.title = 'Northwind Outfitters';
    app.innerHTML =
      '<section id="hero" class="hero"><h1>Gear for every trail</h1><p>The new season of shells, boots and packs is here.</p>' +
      '<a class="button" href="/demo/category/jackets" data-link>Shop jackets</a></section>' +
      '<h2>Featured</h2><div class="grid">' + PRODUCTS.slice(0, 4).map(card).join('') + '</div>';
  }

  function category(slug) {
    var items = PRODUCTS.filter(function (p) {
      return p.category === slug;
    });
    if (!items.length) return notFound();
    document.title = CATEGORIES[slug] + ' · Northwind Outfitters';
    app.innerHTML = '<h1>' + CATEGORIES[slug] + '</h1><div class="grid">' + items.map(card).join('') + '</div>';
  }

  function product(sku) {
    var item = PRODUCTS.find(function (p) {
      return p.sku === sku;
    });
    if (!item) return notFound();
    document.title = item.name + ' · Northwind Outfitters';
    app.innerHTML =
      '<div class="product"><div class="picture">' + art(item) + '</div><div class="details">' +
      '<a href="/demo/category/' + item.category + '" data-link class="crumb">' + CATEGORIES[item.category] + '</a>' +
      '<h1>' + escapeHtml(item.name) + '</h1><p class="price">$' + item.price + '</p><p>' + escapeHtml(item.blurb) + '</p>' +
      '<button type="button" class="button" id="add-to-cart">Add to cart</button></div></div>' +
      '<section id="recs" class="recs" hidden></section>';
    var productItem = { SKU: item.sku, name: item.name, priceTotal: item.price, quantity: 1 };
    document.getElementById('add-to-cart').addEventListener('click', function () {
      cart.push(item.sku);
      localStorage.setItem('northwind-cart', JSON.stringify(cart));
      updateHeader();
      sdk('sendEvent', { xdm: { eventType: 'commerce.productListAdds', commerce: { productListAdds: { value: 1 } }, productListItems: [productItem] } });
    });
    // A named scope: the decision comes back to the page, which renders it itself.
    sdk('sendEvent', {
      xdm: { eventType: 'commerce.productViews', commerce: { productViews: { value: 1 } }, productListItems: [productItem] },
      decisionScopes: ['product-recs'],
    }).then(function (result) {
      showRecommendations(result ? result.decisions : []);
    }).catch(function () {});
  }

  function showRecommendations(decisions) {
    var recs = document.getElementById('recs');
    if (!recs) return;
    var html = '';
    decisions.forEach(function (proposition) {
      proposition.items.forEach(function (item) {
        var data = item.data || {};
        if (/html-content-item$/.test(item.schema) && typeof data.content === 'string') html += data.content;
        if (/json-content-item$/.test(item.schema) && data.content && Array.isArray(data.content.skus)) {
          html += '<h2>' + escapeHtml(data.content.title || 'You may also like') + '</h2><div class="grid">' +
            PRODUCTS.filter(function (p) { return data.content.skus.indexOf(p.sku) >= 0; }).map(card).join('') + '</div>';
        }
      });
    });
    recs.innerHTML = html;
    recs.hidden = html === '';
  }

  function login() {
    document.title = 'Sign in · Northwind Outfitters';
    app.innerHTML =
      '<form id="login-form" class="login"><h1>Sign in</h1>' +
      '<label>Email <input type="email" name="email" required autocomplete="email" value="ann@example.com"></label>' +
      '<label>Password <input type="password" name="password" required autocomplete="current-password" value="demo"></label>' +
      '<label>Customer number <small>(optional, e.g. C100001)</small> <input name="crmId" pattern="[A-Za-z0-9-]{1,40}"></label>' +
      '<button type="submit" class="button">Sign in</button>' +
      '<p class="hint">Any password works. Signing in sends your email (and customer number, when given) as authenticated identities, linking this device to your customer profile.</p></form>';
    document.getElementById('login-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var form = new FormData(event.target);
      var crmId = String(form.get('crmId') || '').trim();
      user = { email: String(form.get('email')).trim().toLowerCase() };
      if (crmId) user.crmId = crmId;
      localStorage.setItem('northwind-user', JSON.stringify(user));
      updateHeader();
      sdk('setIdentity', identities(user));
      sdk('sendEvent', { xdm: { eventType: 'userAccount.login' } }).catch(function () {});
      navigate(returnTo);
    });
  }

  /** The signed-in person's authenticated identities; the first one is primary. */
  function identities(person) {
    var ids = {};
    if (person.crmId) ids.CRMID = person.crmId;
    ids.Email = person.email;
    return ids;
  }

  function notFound() {
    document.title = 'Not found · Northwind Outfitters';
    app.innerHTML = '<h1>Nothing here</h1><p><a href="/demo/" data-link>Back to the shop</a></p>';
  }

  function setup() {
    app.innerHTML =
      '<section class="setup"><h1>Connect the demo to a datastream</h1>' +
      (config.error ? '<p class="error">' + escapeHtml(config.configId) + ': ' + escapeHtml(config.error) + '</p>' : '') +
      '<p>Create an event dataset and a datastream with the admin API, then open <code>/demo/?configId=&lt;datastream id&gt;</code>.</p>' +
      '<form id="setup-form"><input name="configId" placeholder="datastream id (configId)" required size="40"> <button class="button">Open the shop</button></form></section>';
    document.getElementById('setup-form').addEventListener('submit', function (event) {
      event.preventDefault();
      location.href = '/demo/?configId=' + encodeURIComponent(String(new FormData(event.target).get('configId')).trim());
    });
  }

  function render() {
    var path = location.pathname.replace(/^\/demo\/?/, '').split('/');
    if (path[0] === '') home();
    else if (path[0] === 'category') category(path[1]);
    else if (path[0] === 'product') product(decodeURIComponent(path[1] || ''));
    else if (path[0] === 'login') login();
    else notFound();
    window.scrollTo(0, 0);
  }

  function navigate(href) {
    if (href === '/demo/login' && location.pathname !== href) returnTo = location.pathname;
    history.pushState({}, '', href);
    render();
  }

  function updateHeader() {
    document.getElementById('cart-count').textContent = String(cart.length);
    document.getElementById('who').textContent = user ? user.email : '';
    document.getElementById('login-link').hidden = !!user;
    document.getElementById('logout').hidden = !user;
  }

  function showIdentity() {
    sdk('getIdentity').then(function (result) {
      document.getElementById('ecid').textContent = result ? result.identity.ECID : 'not connected';
    }, function (error) {
      // Consent out, or the edge refused (e.g. this origin is not in the datastream's allowedOrigins).
      document.getElementById('ecid').textContent = 'none (' + (error && error.message ? error.message.replace('[meridian] ', '') : 'no identity') + ')';
    });
  }

  function consentCookie() {
    var prefix = 'kndctr_' + String(config.orgId || 'Meridian@AdobeOrg').replace(/@/g, '_') + '_consent=';
    var found = document.cookie.split('; ').find(function (c) { return c.indexOf(prefix) === 0; });
    return found ? decodeURIComponent(found.slice(prefix.length)).replace('general=', '') : undefined;
  }

  function setConsent(general) {
    sdk('setConsent', { general: general }).then(function () {
      document.getElementById('consent-state').textContent = general;
      showIdentity();
    });
  }

  /* ------------------------------------------------------------------ start */

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-link]');
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || link.origin !== location.origin) return;
    event.preventDefault();
    if (link.pathname !== location.pathname) navigate(link.pathname);
  });
  window.addEventListener('popstate', render);
  document.getElementById('logout').addEventListener('click', function () {
    user = null;
    localStorage.removeItem('northwind-user');
    // The logout event still carries the identities; later events no longer do.
    sdk('sendEvent', { xdm: { eventType: 'userAccount.logout' } }).catch(function () {}).then(function () {
      sdk('setIdentity', {});
    });
    updateHeader();
  });
  document.getElementById('consent-in').addEventListener('click', function () { setConsent('in'); });
  document.getElementById('consent-out').addEventListener('click', function () { setConsent('out'); });

  if (config.configId && !config.error) {
    var consent = params.get('consent') || 'in';
    meridian('configure', {
      configId: config.configId,
      orgId: config.orgId,
      prehidingStyle: '#hero, #promo { opacity: 0 !important }',
      consent: consent,
      debug: params.has('debug'),
    }).catch(function (error) {
      console.error(error);
    });
    // Right after configure, so the page view already carries the signed-in person.
    if (user) meridian('setIdentity', identities(user));
    document.getElementById('consent-state').textContent = consentCookie() || consent;
    render();
    showIdentity();
  } else {
    var prehiding = document.getElementById('meridian-prehiding');
    if (prehiding) prehiding.remove();
    setup();
  }
  updateHeader();
})();
