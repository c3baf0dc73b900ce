/* A read-only diagram: a deployed version, or one complaint's path over its version.
 *
 * #diagram carries data-xml-url (fetch the XML) or data-xml (the XML as a JSON
 * string), and optionally data-marks: {completed: [ids], open: [{element_id,
 * label}], timers: [{element_id, label}], added: [ids], changed: [{element_id, label}]}, drawn as
 * markers and labels (a complaint's path, or what a version changed). */
(function () {
  'use strict';
  const W = window.Workbench;
  const container = document.getElementById('diagram');
  if (!container || typeof window.BpmnJS !== 'function') return;

  const viewer = new window.BpmnJS({ container: container, additionalModules: [W.translateModule] });

  function label(elementId, text, kind) {
    if (!viewer.get('elementRegistry').get(elementId)) return;
    viewer.get('overlays').add(elementId, {
      position: { bottom: 4, left: 0 },
      html: W.el('div', { className: 'diagram-label ' + kind, text: text })
    });
  }

  function draw(marks) {
    const canvas = viewer.get('canvas');
    const known = function (id) { return Boolean(viewer.get('elementRegistry').get(id)); };
    (marks.completed || []).filter(known).forEach(function (id) { canvas.addMarker(id, 'done'); });
    (marks.open || []).filter(function (m) { return known(m.element_id); }).forEach(function (m) {
      canvas.addMarker(m.element_id, 'open');
      if (m.label) label(m.element_id, m.label, 'open');
    });
    (marks.timers || []).filter(function (m) { return known(m.element_id); }).forEach(function (m) {
      canvas.addMarker(m.element_id, 'waiting');
      if (m.label) label(m.element_id, m.label, 'waiting');
    });
    (marks.added || []).filter(known).forEach(function (id) { canvas.addMarker(id, 'added'); });
    (marks.changed || []).filter(function (m) { return known(m.element_id); }).forEach(function (m) {
      canvas.addMarker(m.element_id, 'changed');
      if (m.label) label(m.element_id, m.label, 'changed');
    });
  }

  /* A whole diagram on a phone is too small to read: show the open task large
   * enough to read its name; dragging shows the rest. */
  function focusOnPhones(canvas, marks) {
    const first = (marks.open || []).concat(marks.timers || [])[0];
    const element = first && viewer.get('elementRegistry').get(first.element_id);
    if (!element || container.clientWidth >= 640 || canvas.zoom() >= 0.8) return;
    const outer = canvas.viewbox().outer;
    const width = outer.width / 0.8;
    const height = outer.height / 0.8;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height
    });
  }

  async function load() {
    const xml = container.dataset.xmlUrl
      ? await (await fetch(container.dataset.xmlUrl, { credentials: 'same-origin' })).text()
      : W.readJson(container, 'xml', '');
    try {
      await viewer.importXML(xml);
    } catch (error) {
      container.replaceChildren(W.el('p', { className: 'flash error', text: W.t('cannotDraw', { error: error.message }) }));
      return;
    }
    const canvas = viewer.get('canvas');
    const marks = W.readJson(container, 'marks', {});
    canvas.zoom('fit-viewport');
    draw(marks);
    focusOnPhones(canvas, marks);
    container.dataset.ready = 'true';
  }

  load();
  window.workbenchViewer = viewer;
})();
