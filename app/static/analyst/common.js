/* Helpers shared by the workbench pages. The pages carry their settings in
 * data-* attributes (the Content-Security-Policy allows no inline script). */
(function () {
  'use strict';

  function readJson(element, name, fallback) {
    const raw = element.dataset[name];
    if (!raw) return fallback;
    try {
      return JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  /* <tag class=...>text</tag>, with text set as text (never parsed as HTML). */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (value === undefined || value === null || value === false) return;
      if (key === 'text') node.textContent = value;
      else if (key === 'className') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.append(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  /* POST fields (a plain object) as a form, with the page's CSRF token; resolves to
   * {status, body} where body is the parsed JSON answer (or null). */
  async function postForm(url, csrfToken, fields) {
    const body = new FormData();
    body.append('csrf_token', csrfToken);
    Object.entries(fields).forEach(function ([key, value]) {
      body.append(key, value);
    });
    const response = await fetch(url, { method: 'POST', body: body, credentials: 'same-origin' });
    let parsed = null;
    if ((response.headers.get('Content-Type') || '').includes('application/json')) {
      parsed = await response.json();
    }
    return { status: response.status, body: parsed };
  }

  function describeFailure(result) {
    if (result.status === 400 && !result.body) return 'The page expired: reload it (your drawing is lost on reload, download it first).';
    if (result.status === 403) return 'Your account may not do this.';
    if (result.status === 401 || result.status === 302) return 'You were signed out: sign in again in another tab, then retry.';
    return 'The server answered ' + result.status + '.';
  }

  window.Workbench = { readJson: readJson, el: el, postForm: postForm, describeFailure: describeFailure };
})();
