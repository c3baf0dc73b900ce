/* The BPMN modeler page: open a version or a file, edit, validate, simulate, deploy. */
(function () {
  'use strict';
  const W = window.Workbench;
  const el = W.el;
  const t = W.t;
  const root = document.getElementById('workbench');
  if (!root || typeof window.BpmnJS !== 'function') return;

  const config = {
    xmlUrl: root.dataset.xmlUrl,
    filename: root.dataset.filename || 'diagram.bpmn',
    validateUrl: root.dataset.validateUrl,
    deployUrl: root.dataset.deployUrl,
    simulateUrl: root.dataset.simulateUrl,
    csrf: root.dataset.csrf,
    catalogue: W.readJson(root, 'catalogue', []),
    statuses: W.readJson(root, 'statuses', []),
    roles: W.readJson(root, 'roles', [])
  };
  const modeler = new window.BpmnJS({
    container: '#canvas',
    moddleExtensions: { spiffworkflow: window.SpiffWorkflowModdle },
    additionalModules: [W.translateModule]
  });
  const panel = new W.PropertiesPanel(modeler, document.getElementById('properties'), config.catalogue, config.statuses, config.roles);
  const status = document.getElementById('modeler-status');
  const problems = document.getElementById('problems');
  let marked = [];
  let filename = config.filename;

  function say(text, kind) {
    status.textContent = text;
    status.className = 'flash' + (kind ? ' ' + kind : '');
    status.hidden = !text;
  }

  async function open(xml, name) {
    try {
      const result = await modeler.importXML(xml);
      filename = name || filename;
      document.getElementById('draft-name').textContent = filename;
      modeler.get('canvas').zoom('fit-viewport');
      clearProblems();
      panel.show(null);
      if (result.warnings.length) {
        // moddle skips what it cannot read; saving would drop it, so say so.
        say(t('openedWithWarnings', {
          name: filename, warnings: result.warnings.map(function (w) { return w.message; }).join('; ')
        }), 'error');
      } else {
        say('');
      }
      root.dataset.ready = 'true';
    } catch (error) {
      say(t('notBpmn', { error: error.message }), 'error');
    }
  }

  async function currentXml() {
    const saved = await modeler.saveXML({ format: true });
    return saved.xml;
  }

  function clearProblems() {
    const canvas = modeler.get('canvas');
    marked.forEach(function (mark) { canvas.removeMarker(mark[0], mark[1]); });
    marked = [];
    problems.replaceChildren();
  }

  function mark(elementId, marker) {
    if (elementId && modeler.get('elementRegistry').get(elementId)) {
      modeler.get('canvas').addMarker(elementId, marker);
      marked.push([elementId, marker]);
    }
  }

  function reveal(elementId) {
    const element = modeler.get('elementRegistry').get(elementId);
    if (!element) return;
    modeler.get('canvas').scrollToElement(element);
    modeler.get('selection').select(element);
  }

  function problemItem(problem, marker) {
    mark(problem.element_id, marker);
    const where = problem.element_id
      ? el('button', { type: 'button', className: 'link', text: problem.element_id, onclick: function () { reveal(problem.element_id); } })
      : t('wholeDiagram');
    // The element's button stands where the sentence names it: split the sentence around it.
    const line = problem.line ? ' ' + t('atLine', { line: W.number(problem.line) }) : '';
    const parts = t('problem', { where: '\u0000', message: problem.message }).split('\u0000');
    return el('li', { className: marker, 'data-element-id': problem.element_id || '' }, [
      parts[0], where, line, parts[1]
    ]);
  }

  function showProblems(report) {
    clearProblems();
    const errors = report.errors || [];
    const warnings = report.warnings || [];
    problems.append(el('h3', {
      id: 'problems-summary',
      text: errors.length ? t('errorsFound', { count: W.number(errors.length) }) : t('noErrors')
    }));
    if (errors.length) problems.append(el('ul', { className: 'problems errors' }, errors.map(function (p) { return problemItem(p, 'has-error'); })));
    if (warnings.length) {
      problems.append(el('h3', { text: t('warningsFound', { count: W.number(warnings.length) }) }));
      problems.append(el('ul', { className: 'problems warnings' }, warnings.map(function (p) { return problemItem(p, 'has-warning'); })));
    }
  }

  /* The forms defined as data the analyst wrote (JSON), sent with the diagram to validate and deploy. */
  function formsText() {
    const box = document.getElementById('forms');
    return box ? box.value : '';
  }

  /* What every post of the draft carries besides its XML: the file's name, and the known process to deploy
   * it as when the analyst ticked "deploy as a version of" (a file from another modeler names its own). */
  function draftFields() {
    const asProcess = document.getElementById('as-process');
    return { filename: filename, as_process: asProcess.checked ? asProcess.value : '' };
  }

  async function validate() {
    say(t('validating'));
    const result = await W.postForm(config.validateUrl, config.csrf, Object.assign({
      xml: await currentXml(), forms: formsText()
    }, draftFields()));
    if (result.body && result.status === 200) {
      showProblems(result.body);
      say(result.body.errors.length ? t('hasErrors') : t('valid'), result.body.errors.length ? 'error' : '');
    } else {
      say(W.describeFailure(result), 'error');
    }
  }

  async function deploy() {
    const makeDefault = document.getElementById('make-default').checked;
    const note = document.getElementById('deploy-note');
    if (!note.value.trim()) {
      say(t('noteRequired'), 'error');
      note.focus();
      return;
    }
    say(t('deploying'));
    const result = await W.postForm(config.deployUrl, config.csrf, Object.assign({
      xml: await currentXml(), make_default: makeDefault ? '1' : '', forms: formsText(), note: note.value
    }, draftFields()));
    const body = result.body;
    if (result.status === 201 && body) {
      clearProblems();
      // Deployed; its timer warnings (if any) stay on screen.
      if (body.warnings && body.warnings.length) showProblems({ errors: [], warnings: body.warnings });
      const facts = { process: body.process_id, version: W.number(body.version) };
      say(t(body.is_default ? 'deployedDefault' : 'deployedNotDefault', facts));
      status.append(' ', el('a', { href: body.list_url, text: t('seeVersions') }));
    } else if (body && body.errors) {
      showProblems(body);
      const unknownProcess = body.errors.some(function (p) { return p.code === 'process_unknown'; });
      const diagramErrors = body.errors.some(function (p) { return p.code; });
      say(diagramErrors ? t('notDeployed') : t('refused', { reason: body.errors.map(function (p) { return p.message; }).join(' ') }), 'error');
      if (unknownProcess) offerRename();
    } else {
      say(W.describeFailure(result), 'error');
    }
  }

  /* The fix the refusal names, one click away: tick "deploy as a version of" and deploy again. */
  function offerRename() {
    const asProcess = document.getElementById('as-process');
    const button = el('button', { type: 'button', id: 'deploy-renamed', text: t('deployRenamed', { process: asProcess.value }) });
    button.addEventListener('click', function () {
      asProcess.checked = true;
      deploy();
    });
    status.append(' ', button);
  }

  function download() {
    currentXml().then(function (xml) {
      const link = el('a', { href: URL.createObjectURL(new Blob([xml], { type: 'application/xml' })), download: filename });
      document.body.append(link);
      link.click();
      link.remove();
    });
  }

  document.getElementById('validate').addEventListener('click', validate);
  document.getElementById('deploy').addEventListener('click', deploy);
  document.getElementById('download-draft').addEventListener('click', download);
  document.getElementById('upload').addEventListener('change', function (event) {
    const file = event.target.files[0];
    if (file) file.text().then(function (xml) { open(xml, file.name); });
  });

  if (W.Simulation) {
    new W.Simulation(modeler, {
      form: document.getElementById('scenario'),
      results: document.getElementById('simulation'),
      url: config.simulateUrl,
      csrf: config.csrf,
      catalogue: config.catalogue,
      currentXml: currentXml,
      draftFields: draftFields
    });
  }

  if (config.xmlUrl) {
    fetch(config.xmlUrl, { credentials: 'same-origin' })
      .then(function (response) { return response.text(); })
      .then(function (xml) { open(xml, config.filename); });
  } else {
    modeler.createDiagram().then(function () { root.dataset.ready = 'true'; });
  }
  window.workbenchModeler = modeler; // for the browser test and the console
})();
