/* The decision table editor: the version's DMN tables in dmn-js; validate and deploy them with the
 * version's diagram as one new version (the modeler's endpoints, fields decision_xml / decision_filename). */
(function () {
  'use strict';
  const W = window.Workbench;
  const el = W.el;
  const t = W.t;
  const root = document.getElementById('decisions');
  if (!root || typeof window.DmnJS !== 'function') return;

  const config = {
    diagramUrl: root.dataset.diagramUrl,
    filename: root.dataset.filename || 'diagram.bpmn',
    validateUrl: root.dataset.validateUrl,
    deployUrl: root.dataset.deployUrl,
    csrf: root.dataset.csrf,
    forms: root.dataset.forms || ''
  };
  // Every table of the version, edited in memory; the one shown is saved back before another is opened.
  const tables = W.readJson(root, 'tables', []);
  let shown = 0;
  const modeler = new window.DmnJS({
    container: '#dmn-canvas',
    common: { additionalModules: [W.dmnTranslateModule] }
  });
  const status = document.getElementById('decisions-status');
  const problems = document.getElementById('problems');
  const chooser = document.getElementById('table-file');

  function say(text, kind) {
    status.textContent = text;
    status.className = 'flash' + (kind ? ' ' + kind : '');
    status.hidden = !text;
  }

  async function open(index) {
    try {
      await modeler.importXML(tables[index].xml);
      shown = index;
      // A decision table, not the requirements diagram: that is what an analyst edits here.
      const table = modeler.getViews().find(function (view) { return view.type === 'decisionTable'; });
      if (table) await modeler.open(table);
      root.dataset.ready = 'true';
    } catch (error) {
      say(t('notDmn', { error: error.message }), 'error');
    }
  }

  async function keepShown() {
    const saved = await modeler.saveXML({ format: true });
    tables[shown].xml = saved.xml;
  }

  async function fields() {
    await keepShown();
    const diagram = await fetch(config.diagramUrl, { credentials: 'same-origin' }).then(function (r) { return r.text(); });
    const body = new FormData();
    body.append('csrf_token', config.csrf);
    body.append('xml', diagram);
    body.append('filename', config.filename);
    body.append('forms', config.forms);  // the version's forms defined as data, unchanged
    tables.forEach(function (table) {
      body.append('decision_xml', table.xml);
      body.append('decision_filename', table.filename);
    });
    return body;
  }

  async function post(url, body) {
    const response = await fetch(url, { method: 'POST', body: body, credentials: 'same-origin' });
    const json = (response.headers.get('Content-Type') || '').includes('application/json') ? await response.json() : null;
    return { status: response.status, body: json };
  }

  function problemItem(problem, marker) {
    const where = [problem.file, problem.element_id].filter(Boolean).join(' · ') || t('wholeDiagram');
    const line = problem.line ? ' ' + t('atLine', { line: W.number(problem.line) }) : '';
    return el('li', { className: marker, 'data-element-id': problem.element_id || '' }, [
      t('problem', { where: where + line, message: problem.message })
    ]);
  }

  function showProblems(report) {
    const errors = report.errors || [];
    const warnings = report.warnings || [];
    problems.replaceChildren(el('h3', {
      id: 'problems-summary',
      text: errors.length ? t('errorsFound', { count: W.number(errors.length) }) : t('noErrors')
    }));
    if (errors.length) problems.append(el('ul', { className: 'problems errors' }, errors.map(function (p) { return problemItem(p, 'has-error'); })));
    if (warnings.length) {
      problems.append(el('h3', { text: t('warningsFound', { count: W.number(warnings.length) }) }));
      problems.append(el('ul', { className: 'problems warnings' }, warnings.map(function (p) { return problemItem(p, 'has-warning'); })));
    }
  }

  async function validate() {
    say(t('validating'));
    const result = await post(config.validateUrl, await fields());
    if (result.body && result.status === 200) {
      showProblems(result.body);
      say(result.body.errors.length ? t('tablesHaveErrors') : t('tablesValid'), result.body.errors.length ? 'error' : '');
    } else {
      say(W.describeFailure(result), 'error');
    }
  }

  async function deploy() {
    const note = document.getElementById('deploy-note');
    if (!note.value.trim()) {
      say(t('noteRequired'), 'error');
      note.focus();
      return;
    }
    const body = await fields();
    body.append('make_default', document.getElementById('make-default').checked ? '1' : '');
    body.append('note', note.value);
    say(t('deploying'));
    const result = await post(config.deployUrl, body);
    if (result.status === 201 && result.body) {
      problems.replaceChildren();
      const facts = { process: result.body.process_id, version: W.number(result.body.version) };
      say(t(result.body.is_default ? 'deployedDefault' : 'deployedNotDefault', facts));
      status.append(' ', el('a', { href: result.body.list_url, text: t('seeVersions') }));
    } else if (result.body && result.body.errors) {
      showProblems(result.body);
      say(t('tablesNotDeployed'), 'error');
    } else {
      say(W.describeFailure(result), 'error');
    }
  }

  chooser.addEventListener('change', function () {
    keepShown().then(function () { open(Number(chooser.value)); });
  });
  document.getElementById('validate').addEventListener('click', validate);
  document.getElementById('deploy').addEventListener('click', deploy);
  open(0);
  window.decisionModeler = modeler; // for the browser test and the console
})();
