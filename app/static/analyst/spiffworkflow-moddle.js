/* The spiffworkflow: extension elements, described for bpmn-js (moddle).
 *
 * Without this description bpmn-js would keep `spiffworkflow:properties` as
 * opaque XML it cannot edit, and would drop the extension elements it does
 * not know on save. Every element SpiffWorkflow's XSD names is listed, so a
 * diagram made in another modeler keeps them all. */
(function () {
  'use strict';

  function bodyType(name) {
    return { name: name, superClass: ['Element'], properties: [{ name: 'value', isBody: true, type: 'String' }] };
  }

  window.SpiffWorkflowModdle = {
    name: 'SpiffWorkflow',
    uri: 'http://spiffworkflow.org/bpmn/schema/1.0/core',
    prefix: 'spiffworkflow',
    associations: [],
    types: [
      {
        name: 'properties',
        superClass: ['Element'],
        properties: [{ name: 'properties', type: 'property', isMany: true }]
      },
      {
        name: 'property',
        superClass: ['Element'],
        properties: [
          { name: 'name', isAttr: true, type: 'String' },
          { name: 'value', isAttr: true, type: 'String' }
        ]
      },
      {
        name: 'unitTests',
        superClass: ['Element'],
        properties: [{ name: 'unitTests', type: 'unitTest', isMany: true }]
      },
      {
        name: 'unitTest',
        superClass: ['Element'],
        properties: [
          { name: 'id', isAttr: true, type: 'String' },
          { name: 'inputJson', type: 'inputJson' },
          { name: 'expectedOutputJson', type: 'expectedOutputJson' }
        ]
      },
      bodyType('inputJson'),
      bodyType('expectedOutputJson'),
      {
        name: 'serviceTaskOperator',
        superClass: ['Element'],
        properties: [
          { name: 'id', isAttr: true, type: 'String' },
          { name: 'resultVariable', isAttr: true, type: 'String' },
          { name: 'parameterList', type: 'parameters' },
          { name: 'retry', type: 'retry' }
        ]
      },
      {
        name: 'parameters',
        superClass: ['Element'],
        properties: [{ name: 'parameters', type: 'parameter', isMany: true }]
      },
      {
        name: 'parameter',
        superClass: ['Element'],
        properties: [
          { name: 'id', isAttr: true, type: 'String' },
          { name: 'type', isAttr: true, type: 'String' },
          { name: 'value', isAttr: true, type: 'String' }
        ]
      },
      {
        name: 'retry',
        superClass: ['Element'],
        properties: [
          { name: 'retries', isAttr: true, type: 'Integer' },
          { name: 'backoff_base', isAttr: true, type: 'Integer' }
        ]
      },
      bodyType('calledDecisionId'),
      bodyType('instructionsForEndUser'),
      bodyType('messagePayload'),
      bodyType('messageVariable'),
      bodyType('payloadExpression'),
      bodyType('variableName'),
      bodyType('preScript'),
      bodyType('postScript')
    ]
  };
})();
