/* A rejected form's error summary takes the focus, so a screen reader reads it first and the keyboard
 * starts there; its links move the focus to their field and show the field's label with it. */
(function () {
  'use strict';
  var summary = document.querySelector('[data-error-summary]');
  if (!summary) return;
  summary.focus();
  summary.addEventListener('click', function (event) {
    var link = event.target.closest('a[href^="#"]');
    var field = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    event.preventDefault();
    var label = field.closest('fieldset') ? field.closest('fieldset').querySelector('legend')
      : document.querySelector('label[for="' + CSS.escape(field.id) + '"]');
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
