/* The modeler's side panel: the properties the portal reads from a diagram.
 *
 * A user task's `spiffworkflow:properties` (formKey, assignee, status,
 * escalationLevel) and a timer event's expression. Every change goes through
 * bpmn-js's modeling API, so it can be undone and is in the saved XML. */
(function () {
  'use strict';
  const el = window.Workbench.el;
  const t = window.Workbench.t;

  const TIMER_KINDS = [
    ['timeDuration', t('timerDuration')],
    ['timeDate', t('timerDate')],
    ['timeCycle', t('timerCycle')]
  ];
  const BARE_ISO = /^(R\d*\/)?P[0-9YMWDTHS.,]+$|^\d{4}-\d{2}-\d{2}T/;

  function PropertiesPanel(modeler, panel, catalogue, statuses, roles) {
    this.modeler = modeler;
    this.panel = panel;
    this.catalogue = catalogue;
    this.statuses = statuses;
    this.roles = roles || [];
    this.element = null;
    const self = this;
    const eventBus = modeler.get('eventBus');
    eventBus.on('selection.changed', function (event) {
      self.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    // Undo/redo and edits made on the canvas change what the panel shows;
    // never redraw under the cursor of someone typing in it.
    eventBus.on('commandStack.changed', function () {
      if (!panel.contains(document.activeElement)) self.show(self.element);
    });
  }

  PropertiesPanel.prototype.show = function (element) {
    this.element = element && this.modeler.get('elementRegistry').get(element.id) ? element : null;
    const panel = this.panel;
    panel.replaceChildren();
    if (!this.element) {
      panel.append(el('p', { className: 'meta', text: t('selectSomething') }));
      return;
    }
    const bo = this.element.businessObject;
    panel.append(
      el('h3', { text: bo.name || bo.id }),
      el('p', { className: 'meta' }, [t('elementType', { type: bo.$type.replace('bpmn:', '') }) + ' ', el('code', { text: bo.id })])
    );
    if (bo.$type === 'bpmn:UserTask') this.userTaskFields(bo);
    if (bo.$type === 'bpmn:Lane') this.laneFields(bo);
    const timer = timerDefinition(bo);
    if (timer) this.timerFields(timer);
    if (bo.$type !== 'bpmn:UserTask' && bo.$type !== 'bpmn:Lane' && !timer) {
      panel.append(el('p', { className: 'meta', text: t('nothingHere') }));
    }
  };

  PropertiesPanel.prototype.userTaskFields = function (bo) {
    const self = this;
    const current = spiffProperties(bo);
    const formKeys = this.catalogue.map(function (form) { return [form.key, form.key + ' — ' + form.title]; });
    if (current.formKey && !formKeys.some(function (option) { return option[0] === current.formKey; })) {
      formKeys.push([current.formKey, t('notRegisteredForm', { key: current.formKey })]);
    }
    const writes = [];
    this.catalogue.forEach(function (form) {
      (form.writes || []).forEach(function (key) { if (!writes.includes(key)) writes.push(key); });
    });
    const form = this.catalogue.find(function (f) { return f.key === current.formKey; });

    this.panel.append(
      selectField('prop-formKey', t('formLabel'), formKeys, current.formKey || '', t('noForm'), function (value) {
        self.setProperty('formKey', value);
      }),
      el('p', { className: 'hint', id: 'prop-formKey-writes', text: form ? t('writes', { keys: form.writes.join(', ') }) : '' }),
      inputField('prop-assignee', t('assigneeLabel'), current.assignee || '', { list: 'prop-assignee-keys' }, function (value) {
        self.setProperty('assignee', value.trim());
      }),
      el('datalist', { id: 'prop-assignee-keys' }, writes.filter(function (key) { return key.endsWith('_id'); }).map(function (key) {
        return el('option', { value: key });
      })),
      selectField('prop-status', t('statusLabel'), this.statuses, current.status || '', t('unchanged'), function (value) {
        self.setProperty('status', value);
      }),
      inputField('prop-escalationLevel', t('escalationLabel'), current.escalationLevel || '', { type: 'number', min: '1', step: '1' }, function (value) {
        self.setProperty('escalationLevel', value.trim());
      })
    );
  };

  /* A lane's name is the role whose people work its tasks. */
  PropertiesPanel.prototype.laneFields = function (bo) {
    const self = this;
    const options = this.roles.slice();
    if (bo.name && !options.some(function (option) { return option[0] === bo.name; })) {
      options.push([bo.name, t('notARole', { name: bo.name })]);
    }
    this.panel.append(
      selectField('prop-lane-role', t('roleLabel'), options, bo.name || '', t('noRole'), function (value) {
        self.modeler.get('modeling').updateProperties(self.element, { name: value });
      })
    );
  };

  PropertiesPanel.prototype.timerFields = function (timer) {
    const self = this;
    const kind = TIMER_KINDS.map(function (k) { return k[0]; }).find(function (k) { return timer.get(k); }) || 'timeDuration';
    const expression = timer.get(kind) ? timer.get(kind).body || '' : '';
    const warning = el('p', { className: 'field-error', id: 'timer-expression-warning' });
    const expressionField = inputField('timer-expression', t('timerExpression'), expression, { spellcheck: 'false' }, function (value) {
      self.setTimer(document.getElementById('timer-kind').value, value.trim());
    });
    function warnIfBare(value) {
      warning.textContent = BARE_ISO.test(value) ? t('quoteIt', { value: value }) : '';
    }
    expressionField.querySelector('input').addEventListener('input', function (event) { warnIfBare(event.target.value.trim()); });
    warnIfBare(expression.trim());
    this.panel.append(
      selectField('timer-kind', t('timerKind'), TIMER_KINDS, kind, null, function (value) {
        self.setTimer(value, document.getElementById('timer-expression').value.trim());
      }),
      expressionField,
      warning,
      el('p', { className: 'hint', text: t('timerHint') })
    );
  };

  /* Set (or, with an empty value, remove) one spiffworkflow:property of the selected task. */
  PropertiesPanel.prototype.setProperty = function (name, value) {
    const element = this.element;
    const modeling = this.modeler.get('modeling');
    const moddle = this.modeler.get('moddle');
    const bo = element.businessObject;
    let extensions = bo.get('extensionElements');
    if (!extensions) {
      if (!value) return;
      extensions = moddle.create('bpmn:ExtensionElements', { values: [] });
      extensions.$parent = bo;
      modeling.updateProperties(element, { extensionElements: extensions });
    }
    let container = extensions.get('values').find(function (v) { return v.$type === 'spiffworkflow:properties'; });
    if (!container) {
      if (!value) return;
      container = moddle.create('spiffworkflow:properties', { properties: [] });
      container.$parent = extensions;
      modeling.updateModdleProperties(element, extensions, { values: extensions.get('values').concat([container]) });
    }
    const list = container.get('properties');
    const existing = list.find(function (p) { return p.name === name; });
    if (!value) {
      if (existing) modeling.updateModdleProperties(element, container, { properties: list.filter(function (p) { return p !== existing; }) });
    } else if (existing) {
      modeling.updateModdleProperties(element, existing, { value: value });
    } else {
      const property = moddle.create('spiffworkflow:property', { name: name, value: value });
      property.$parent = container;
      modeling.updateModdleProperties(element, container, { properties: list.concat([property]) });
    }
    if (name === 'formKey') this.show(element);
  };

  PropertiesPanel.prototype.setTimer = function (kind, body) {
    const timer = timerDefinition(this.element.businessObject);
    const expression = this.modeler.get('moddle').create('bpmn:FormalExpression', { body: body });
    expression.$parent = timer;
    const update = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    update[kind] = expression;
    this.modeler.get('modeling').updateModdleProperties(this.element, timer, update);
  };

  function timerDefinition(bo) {
    return (bo.get && bo.eventDefinitions ? bo.eventDefinitions : []).find(function (d) {
      return d.$type === 'bpmn:TimerEventDefinition';
    }) || null;
  }

  function spiffProperties(bo) {
    const found = {};
    const extensions = bo.get('extensionElements');
    (extensions ? extensions.get('values') : []).forEach(function (value) {
      if (value.$type !== 'spiffworkflow:properties') return;
      value.get('properties').forEach(function (p) { found[p.name] = p.value; });
    });
    return found;
  }

  function selectField(id, label, options, value, blank, onChange) {
    const select = el('select', { id: id, onchange: function () { onChange(select.value); } });
    if (blank !== null) select.append(el('option', { value: '', text: blank }));
    options.forEach(function (option) {
      select.append(el('option', { value: option[0], text: option[1], selected: option[0] === value }));
    });
    return el('div', { className: 'field' }, [el('label', { for: id, text: label }), select]);
  }

  function inputField(id, label, value, attrs, onChange) {
    const input = el('input', Object.assign({ id: id, value: value, onchange: function () { onChange(input.value); } }, attrs));
    return el('div', { className: 'field' }, [el('label', { for: id, text: label }), input]);
  }

  window.Workbench.PropertiesPanel = PropertiesPanel;
  window.Workbench.spiffProperties = spiffProperties;
  window.Workbench.timerDefinition = timerDefinition;
})();
