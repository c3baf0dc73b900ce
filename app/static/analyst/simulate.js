/* The modeler's simulation: a scenario form built from the draft's user tasks,
 * posted with the draft, and the path the engine took shown as a table (and
 * marked on the diagram). Nothing is written to the database. */
(function () {
  'use strict';
  const W = window.Workbench;
  const el = W.el;
  const t = W.t;
  const WAIT = '__wait__';
  const CUSTOM = '__custom__';
  const KIND_LABELS = {
    task_opened: t('taskOpens'),
    task_completed: t('taskCompleted'),
    timer_fired: t('timerFires'),
    signal: t('signal'),
    ended: t('end')
  };

  /* Outcome presets of a form: one per fixed choice of each field that has
   * them, the other fields at their first choice or a sample value. `data` is
   * what the engine receives: the catalogue gives each field's task-data key
   * and each choice's value as the process sees it ("yes" is true). */
  function presetsFor(form) {
    if (!form) return [];
    const base = {};
    form.fields.forEach(function (f) { Object.assign(base, sampleData(f, null)); });
    const presets = [];
    const seen = new Set();
    form.fields.filter(function (f) { return f.data_key && fixedChoices(f).length; }).forEach(function (field) {
      fixedChoices(field).forEach(function (choice) {
        const data = Object.assign({}, base, sampleData(field, choice));
        const key = JSON.stringify(data);
        if (seen.has(key)) return;
        seen.add(key);
        presets.push({ label: t('choice', { field: field.label, choice: choice[1] }), data: data });
      });
    });
    if (!presets.length) presets.push({ label: t('completed'), data: base });
    return presets;
  }

  /* (value, label) pairs; a plain string stands for choices that depend on the complaint. */
  function fixedChoices(field) {
    return (field.choices || []).filter(Array.isArray);
  }

  /* The task data a field contributes, for a given choice (or a sample value). */
  function sampleData(field, choice) {
    const data = {};
    const key = field.data_key;
    if (!key) return data;
    if (choice !== null) data[key] = choice[0];
    else if (fixedChoices(field).length) data[key] = fixedChoices(field)[0][0];
    else if (/_id$/.test(key)) data[key] = 1;
    else data[key] = field.required ? t('simulatedValue', { field: field.label }) : null;
    return data;
  }

  function Simulation(modeler, options) {
    this.modeler = modeler;
    this.form = options.form;
    this.results = options.results;
    this.url = options.url;
    this.csrf = options.csrf;
    this.catalogue = options.catalogue;
    this.currentXml = options.currentXml;
    // More fields the page posts with every draft (the modeler's "deploy as a version of").
    this.draftFields = options.draftFields || function () { return {}; };
    this.marked = [];
    const self = this;
    modeler.get('eventBus').on('import.done', function () { self.build(); });
    this.form.addEventListener('submit', function (event) {
      event.preventDefault();
      self.run();
    });
  }

  Simulation.prototype.userTasks = function () {
    return this.modeler.get('elementRegistry').filter(function (e) {
      return e.type === 'bpmn:UserTask';
    }).sort(function (a, b) { return a.x - b.x || a.y - b.y; });
  };

  Simulation.prototype.build = function () {
    const self = this;
    const form = this.form;
    form.replaceChildren();
    const tasks = this.userTasks();
    if (!tasks.length) {
      form.append(el('p', { className: 'meta', text: t('noUserTasks') }));
    }
    tasks.forEach(function (task) { form.append(self.taskBox(task)); });
    form.append(
      el('div', { className: 'actions' }, [
        numberField('sim-default-days', t('defaultDays'), '1'),
        numberField('sim-horizon', t('horizon'), '60')
      ]),
      el('div', { className: 'actions' }, [
        el('button', { type: 'submit', id: 'simulate', text: t('run') }),
        el('button', { type: 'button', className: 'secondary', text: t('refreshTasks'), onclick: function () { self.build(); } })
      ])
    );
  };

  Simulation.prototype.taskBox = function (task) {
    const self = this;
    const bo = task.businessObject;
    const formKey = W.spiffProperties(bo).formKey;
    const form = this.catalogue.find(function (f) { return f.key === formKey; });
    const presets = presetsFor(form);
    const answers = el('div', { className: 'answers' });
    const box = el('fieldset', { className: 'scenario-task', 'data-element-id': bo.id }, [
      el('legend', { text: (bo.name || bo.id) + (this.laneOf(task) ? ' · ' + this.laneOf(task) : '') }),
      el('p', { className: 'meta' }, [
        t('idLabel') + ' ', el('code', { text: bo.id }), ' ' + (formKey ? t('withForm', { key: formKey }) : t('withoutForm'))
      ]),
      answers,
      el('button', {
        type: 'button', className: 'link', text: t('addAnswer'),
        onclick: function () { answers.append(self.answerRow(bo.id, presets, answers.children.length)); }
      })
    ]);
    answers.append(this.answerRow(bo.id, presets, 0));
    return box;
  };

  Simulation.prototype.answerRow = function (elementId, presets, index) {
    const id = 'sim-' + elementId + '-' + index;
    const select = el('select', { id: id + '-outcome', 'data-role': 'outcome' });
    presets.forEach(function (preset, n) {
      select.append(el('option', { value: String(n), text: preset.label }));
    });
    select.append(el('option', { value: CUSTOM, text: t('otherData') }));
    select.append(el('option', { value: WAIT, text: t('leaveWaiting') }));
    const custom = el('textarea', { id: id + '-json', rows: '2', 'data-role': 'json', hidden: true, 'aria-label': t('taskDataJson') });
    custom.value = JSON.stringify(presets.length ? presets[0].data : {});
    select.addEventListener('change', function () { custom.hidden = select.value !== CUSTOM; });
    const row = el('div', { className: 'answer', 'data-presets': JSON.stringify(presets.map(function (p) { return p.data; })) }, [
      el('div', { className: 'field' }, [
        el('label', { for: id + '-outcome', text: index ? t('outcomeTime', { number: W.number(index + 1) }) : t('outcome') }), select, custom
      ]),
      numberField(id + '-days', t('daysBefore'), '', 'days')
    ]);
    return row;
  };

  Simulation.prototype.scenario = function () {
    const steps = {};
    this.form.querySelectorAll('.scenario-task').forEach(function (box) {
      const answers = [];
      let waiting = false;
      box.querySelectorAll('.answer').forEach(function (row) {
        if (waiting) return;
        const outcome = row.querySelector('[data-role=outcome]').value;
        if (outcome === WAIT) { waiting = true; return; }
        const data = outcome === CUSTOM
          ? JSON.parse(row.querySelector('[data-role=json]').value || '{}')
          : JSON.parse(row.dataset.presets)[Number(outcome)];
        const days = row.querySelector('[data-role=days]').value;
        answers.push({ data: data, after_days: days === '' ? null : Number(days) });
      });
      steps[box.dataset.elementId] = answers;
    });
    return {
      steps: steps,
      default_days: Number(document.getElementById('sim-default-days').value || 1),
      horizon_days: Number(document.getElementById('sim-horizon').value || 60)
    };
  };

  Simulation.prototype.run = async function () {
    let scenario;
    try {
      scenario = this.scenario();
    } catch (error) {
      this.results.replaceChildren(el('p', { className: 'flash error', text: t('badJson', { error: error.message }) }));
      return;
    }
    this.results.replaceChildren(el('p', { className: 'meta', text: t('simulating') }));
    const result = await W.postForm(this.url, this.csrf, Object.assign({ xml: await this.currentXml(), scenario: JSON.stringify(scenario) }, this.draftFields()));
    if (result.status === 200 && result.body) {
      this.show(result.body);
    } else if (result.body && result.body.errors) {
      this.results.replaceChildren(
        el('p', { className: 'flash error', text: t('cannotRun') }),
        el('ul', { className: 'problems errors' }, result.body.errors.map(function (e) {
          return el('li', { text: t('problem', { where: e.element_id || t('wholeDiagram'), message: e.message }) });
        }))
      );
    } else {
      this.results.replaceChildren(el('p', { className: 'flash error', text: W.describeFailure(result) }));
    }
  };

  Simulation.prototype.show = function (result) {
    const canvas = this.modeler.get('canvas');
    const registry = this.modeler.get('elementRegistry');
    this.marked.forEach(function (id) { canvas.removeMarker(id, 'simulated'); });
    this.marked = Array.from(new Set(result.path || [])).filter(function (id) { return registry.get(id); });
    this.marked.forEach(function (id) { canvas.addMarker(id, 'simulated'); });
    const day = W.number(result.ended_at_day);
    const summary = {
      finished: t('finishedOn', { day: day }),
      horizon: t('stillRunning', { day: day }),
      stuck: t('stuckFrom', { day: day }),
      error: t('engineStopped', { day: day, error: result.error || t('anError') })
    }[result.stopped] || (result.finished ? t('finished') : t('stopped'));
    const rows = result.steps.map(function (step) {
      return el('tr', { className: 'kind-' + step.kind }, [
        el('td', { text: W.number(step.day) }),
        el('td', { text: KIND_LABELS[step.kind] || step.kind }),
        el('td', {}, [step.name, ' ', el('code', { className: 'meta', text: step.element_id })]),
        el('td', { text: (step.lane || '').replace(/_/g, ' ') }),
        el('td', { text: step.detail })
      ]);
    });
    this.results.replaceChildren(
      el('p', { id: 'simulation-summary', className: result.stopped === 'error' ? 'flash error' : 'flash', text: summary }),
      el('div', { className: 'table-scroll', role: 'region', 'aria-label': t('stepsRegion'), tabindex: '0' }, [
        el('table', { className: 'table', id: 'simulation-steps' }, [
          el('thead', {}, [el('tr', {}, [t('colDay'), t('colWhat'), t('colElement'), t('colLane'), t('colDetail')].map(function (h) {
            return el('th', { scope: 'col', text: h });
          }))]),
          el('tbody', {}, rows)
        ])
      ])
    );
  };

  /* The innermost lane whose flowNodeRef lists the task (bpmn-js draws flow
   * nodes under the participant, so the shape tree does not say). */
  Simulation.prototype.laneOf = function (task) {
    const lanes = this.modeler.get('elementRegistry').filter(function (e) {
      return e.type === 'bpmn:Lane' && (e.businessObject.get('flowNodeRef') || []).includes(task.businessObject);
    });
    const innermost = lanes.sort(function (a, b) { return a.width * a.height - b.width * b.height; })[0];
    return innermost ? (innermost.businessObject.name || '').replace(/_/g, ' ') : '';
  };

  function numberField(id, label, value, role) {
    return el('div', { className: 'field' }, [
      el('label', { for: id, text: label }),
      el('input', { id: id, type: 'number', min: '0', step: 'any', value: value, 'data-role': role, placeholder: role ? t('defaultPlaceholder') : null })
    ]);
  }

  W.Simulation = Simulation;
  W.presetsFor = presetsFor;
})();
