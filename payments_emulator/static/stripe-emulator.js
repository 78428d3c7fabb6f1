/*
 * A stand-in for Stripe.js (https://js.stripe.com/v3/), served by the payments emulator at
 * /js/stripe-emulator.js. It implements the small part of Stripe.js the shop's card form uses:
 *
 *   var stripe = Stripe(publishableKey);
 *   var card = stripe.elements().create("card");  card.mount(element);  card.on("change", fn);
 *   stripe.createPaymentMethod({type: "card", card: card, billing_details: {...}})
 *     -> Promise of {paymentMethod: {...}} or {error: {type, code, message}}
 *
 * The card inputs it renders have no name attribute, so a form submission never carries them:
 * the card number goes from the browser to the processor (POST /v1/payment_methods with the
 * publishable key), and only the returned pm_... id goes to the shop. Unlike Stripe's Elements,
 * the inputs live in the page itself rather than in the processor's iframe; this is a
 * development stand-in, not a PCI boundary.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var apiBase = script ? new URL(script.src).origin : window.location.origin;
  var counter = 0;

  function encode(params, prefix, pairs) {
    pairs = pairs || [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + "[" + key + "]" : key;
      if (value === undefined || value === null) return;
      if (typeof value === "object") encode(value, name, pairs);
      else pairs.push(encodeURIComponent(name).replace(/%5B/g, "[").replace(/%5D/g, "]") + "=" + encodeURIComponent(value));
    });
    return pairs.join("&");
  }

  function digits(text) {
    return String(text || "").replace(/\D/g, "");
  }

  function parseExpiry(text) {
    var parts = String(text || "").split(/\s*\/\s*|\s+/).filter(Boolean);
    if (parts.length === 1 && digits(parts[0]).length === 4) parts = [parts[0].slice(0, 2), parts[0].slice(2)];
    return {month: digits(parts[0]), year: digits(parts[1])};
  }

  function CardElement(options) {
    this.options = options || {};
    this.handlers = {};
    this.inputs = null;
    this.root = null;
  }

  CardElement.prototype.mount = function (target) {
    var host = typeof target === "string" ? document.querySelector(target) : target;
    var id = "emulator-card-" + ++counter;
    var root = document.createElement("div");
    root.className = "emulator-card";
    root.innerHTML =
      '<label for="' + id + '-number">Card number</label>' +
      '<input id="' + id + '-number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" data-card="number">' +
      '<label for="' + id + '-expiry">Expiry (MM / YY)</label>' +
      '<input id="' + id + '-expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" data-card="expiry">' +
      '<label for="' + id + '-cvc">Security code (CVC)</label>' +
      '<input id="' + id + '-cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" maxlength="4" data-card="cvc">';
    host.appendChild(root);
    this.root = root;
    this.inputs = {
      number: root.querySelector('[data-card="number"]'),
      expiry: root.querySelector('[data-card="expiry"]'),
      cvc: root.querySelector('[data-card="cvc"]')
    };
    var self = this;
    Object.keys(this.inputs).forEach(function (name) {
      self.inputs[name].addEventListener("input", function () {
        self.emit("change", self.state());
      });
    });
    this.emit("ready", {elementType: "card"});
    return this;
  };

  CardElement.prototype.state = function () {
    var values = this.values();
    var empty = !values.number && !values.exp_month && !values.cvc;
    var complete = values.number.length >= 12 && values.exp_month && values.exp_year && values.cvc.length >= 3;
    return {elementType: "card", empty: empty, complete: Boolean(complete), error: undefined};
  };

  CardElement.prototype.values = function () {
    var expiry = parseExpiry(this.inputs.expiry.value);
    return {
      number: digits(this.inputs.number.value),
      exp_month: expiry.month,
      exp_year: expiry.year,
      cvc: digits(this.inputs.cvc.value)
    };
  };

  CardElement.prototype.on = function (event, handler) {
    (this.handlers[event] = this.handlers[event] || []).push(handler);
    return this;
  };

  CardElement.prototype.emit = function (event, payload) {
    (this.handlers[event] || []).forEach(function (handler) {
      handler(payload);
    });
  };

  CardElement.prototype.focus = function () {
    if (this.inputs) this.inputs.number.focus();
  };

  CardElement.prototype.clear = function () {
    var inputs = this.inputs || {};
    Object.keys(inputs).forEach(function (name) {
      inputs[name].value = "";
    });
  };

  CardElement.prototype.unmount = CardElement.prototype.destroy = function () {
    if (this.root && this.root.parentNode) this.root.parentNode.removeChild(this.root);
    this.root = this.inputs = null;
  };

  function Stripe(publishableKey) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey);
    if (!publishableKey) throw new Error("Stripe(): a publishable key is required");
    this.publishableKey = publishableKey;
  }

  Stripe.prototype.elements = function () {
    return {
      create: function (type, options) {
        if (type !== "card") throw new Error("The payments emulator supports only the 'card' element");
        return new CardElement(options);
      }
    };
  };

  Stripe.prototype.createPaymentMethod = function (params) {
    var card = params.card;
    var values = card.values();
    var body = {
      type: "card",
      card: values,
      billing_details: params.billing_details || undefined
    };
    return fetch(apiBase + "/v1/payment_methods", {
      method: "POST",
      headers: {
        Authorization: "Bearer " + this.publishableKey,
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: encode(body)
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        return body.error ? {error: body.error} : {paymentMethod: body};
      })
      .catch(function () {
        return {
          error: {
            type: "api_connection_error",
            message: "We could not reach the payment processor. Check your connection and try again."
          }
        };
      });
  };

  window.StripeEmulator = Stripe;
  window.Stripe = window.Stripe || Stripe;
})();
