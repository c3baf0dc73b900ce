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

  /* The page's texts in the reader's language (analyst/_diagram_assets.html puts them in the page). */
  const TEXTS = (function () {
    const holder = document.getElementById('workbench-texts');
    return holder ? readJson(holder, 'texts', { own: {}, bpmn: {} }) : { own: {}, bpmn: {} };
  })();

  /* One of the workbench's own texts, with %(name)s filled from values. An unknown key shows itself,
   * so a missing text is seen (and the browser test fails on it) instead of hidden. */
  function t(key, values) {
    const text = Object.prototype.hasOwnProperty.call(TEXTS.own, key) ? TEXTS.own[key] : key;
    return text.replace(/%\((\w+)\)s/g, function (match, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  /* bpmn-js's translate module: its English template, then {name} placeholders filled in. */
  function bpmnTranslate(template, replacements) {
    const text = Object.prototype.hasOwnProperty.call(TEXTS.bpmn, template) ? TEXTS.bpmn[template] : template;
    return text.replace(/{([^}]+)}/g, function (match, name) {
      return replacements && replacements[name] !== undefined ? replacements[name] : match;
    });
  }
  const translateModule = { translate: ['value', bpmnTranslate] };

  /* dmn-js's translate module, the same way, with its own texts (the decision table editor). */
  function dmnTranslate(template, replacements) {
    const texts = TEXTS.dmn || {};
    const text = Object.prototype.hasOwnProperty.call(texts, template) ? texts[template] : template;
    return text.replace(/{([^}]+)}/g, function (match, name) {
      return replacements && replacements[name] !== undefined ? replacements[name] : match;
    });
  }
  const dmnTranslateModule = { translate: ['value', dmnTranslate] };

  /* A number as the page writes numbers (<html data-numbers>: Latin digits on every page, see docs/decisions.md). */
  function number(value) {
    const root = document.documentElement;
    return Number(value).toLocaleString(root.dataset.numbers || root.lang || undefined, { maximumFractionDigits: 2 });
  }

  function describeFailure(result) {
    if (result.status === 400 && !result.body) return t('expired');
    if (result.status === 403) return t('forbidden');
    if (result.status === 401 || result.status === 302) return t('signedOut');
    return t('serverAnswered', { status: result.status });
  }

  window.Workbench = {
    readJson: readJson, el: el, postForm: postForm, describeFailure: describeFailure,
    t: t, translateModule: translateModule, dmnTranslateModule: dmnTranslateModule, number: number
  };
})();
