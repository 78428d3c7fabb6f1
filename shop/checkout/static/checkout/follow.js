/*
 * The order confirmation page while the checkout saga runs: poll its status API and, once the
 * saga has finished (order placed, or not), reload the page, which then shows the outcome.
 * Without JavaScript the page refreshes itself (<noscript> meta refresh).
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-checkout-status]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var delay = 250;

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.is_terminal) window.location.reload();
        else later();
      }, later);
  }

  function later() {
    delay = Math.min(delay * 1.5, 3000);
    window.setTimeout(poll, delay);
  }

  window.setTimeout(poll, delay);
})();
