/*
 * The card entry of a form ({% payment_card_fields %}): the card goes from the browser to the
 * payment processor, and only the payment-method token it returns (pm_...) goes to the shop.
 *
 * It uses the Stripe.js API (Stripe(key).elements().create("card"), stripe.createPaymentMethod),
 * so it works unchanged with Stripe.js Elements (real keys) and with the emulator's stand-in.
 * On submit it tokenizes, writes the token into the hidden field, then submits the form; the
 * card inputs carry no name, so they are never part of the submission.
 */
(function () {
  "use strict";

  function setup(container) {
    var form = container.closest("form");
    var field = container.querySelector("[data-payment-method-field]");
    var errors = container.querySelector("[data-card-errors]");
    if (!form || !field) return;
    if (typeof window.Stripe !== "function") {
      errors.textContent = "The card form could not load. Please check your connection and reload the page.";
      return;
    }
    var stripe = window.Stripe(container.getAttribute("data-publishable-key"));
    var card = stripe.elements().create("card", {hidePostalCode: true});
    card.mount(container.querySelector("[data-card-element]"));
    card.on("change", function (event) {
      field.value = ""; // the card changed: the old token no longer describes it
      errors.textContent = event.error ? event.error.message : "";
    });
    var busy = false;

    form.addEventListener("submit", function (event) {
      if (field.value) return; // tokenized: let the submission through
      event.preventDefault();
      if (busy) return;
      busy = true;
      var submitter = event.submitter || null;
      setDisabled(form, true);
      errors.textContent = "";
      stripe.createPaymentMethod({type: "card", card: card}).then(function (result) {
        busy = false;
        setDisabled(form, false);
        if (result.error) {
          errors.textContent = result.error.message || "Your card could not be used.";
          card.focus();
          return;
        }
        field.value = result.paymentMethod.id;
        container.dispatchEvent(
          new CustomEvent("payment-method-created", {bubbles: true, detail: result.paymentMethod})
        );
        if (form.requestSubmit && submitter) form.requestSubmit(submitter);
        else if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      });
    });
  }

  function setDisabled(form, disabled) {
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], input[type=submit]"), function (button) {
      button.disabled = disabled;
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-payment-card]"), setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
