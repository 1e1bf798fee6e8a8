// Bookshop storefront: the cart (kept in localStorage) and the checkout,
// which posts the order to the JSON API. Plain JavaScript, no libraries.
"use strict";
(function () {
  var CART = "bookshop.cart", RECENT = "bookshop.orders", MAX_QTY = 99;
  var $ = function (id) { return document.getElementById(id); };
  var books = {};
  document.querySelectorAll(".book").forEach(function (el) {
    books[el.dataset.isbn] = { title: el.dataset.title, price: +el.dataset.price, currency: el.dataset.currency };
  });

  function load(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: keep in memory */ }
  }
  var cart = load(CART, {});
  Object.keys(cart).forEach(function (isbn) { if (!books[isbn]) delete cart[isbn]; });

  function money(cents, currency) {
    var symbols = { EUR: "€", GBP: "£", USD: "$" };
    var amount = Math.floor(cents / 100) + "." + String(cents % 100).padStart(2, "0");
    return symbols[currency] ? symbols[currency] + amount : amount + " " + currency;
  }
  function announce(text) {
    var el = $("announce");
    el.textContent = "";
    setTimeout(function () { el.textContent = text; }, 50);
  }

  function renderCart() {
    var lines = $("cart-lines"), isbns = Object.keys(cart), count = 0, total = 0, currency = "EUR";
    lines.textContent = "";
    isbns.forEach(function (isbn) {
      var b = books[isbn], q = cart[isbn];
      count += q; total += b.price * q; currency = b.currency;
      var li = document.createElement("li");
      li.className = "cart-line";
      li.innerHTML = '<span class="line-title"></span><span class="line-price"></span>' +
        '<span class="qty"><button type="button" class="icon-button" data-dec aria-label="">−</button>' +
        '<span class="count" aria-hidden="true"></span><button type="button" class="icon-button" data-inc aria-label="">+</button>' +
        '<span class="visually-hidden" data-qty-label></span></span>' +
        '<button type="button" class="remove" data-remove>Remove</button>';
      li.querySelector(".line-title").textContent = b.title;
      li.querySelector(".line-price").textContent = money(b.price * q, b.currency);
      li.querySelector(".count").textContent = q;
      li.querySelector("[data-qty-label]").textContent = q + (q === 1 ? " copy" : " copies");
      li.querySelector("[data-dec]").setAttribute("aria-label", "One copy fewer of " + b.title);
      li.querySelector("[data-inc]").setAttribute("aria-label", "One copy more of " + b.title);
      li.querySelector("[data-remove]").setAttribute("aria-label", "Remove " + b.title + " from the cart");
      li.dataset.isbn = isbn;
      lines.appendChild(li);
    });
    $("cart-empty").hidden = isbns.length > 0;
    $("cart-total-line").hidden = isbns.length === 0;
    $("checkout").hidden = isbns.length === 0;
    $("cart-total").textContent = money(total, currency);
    $("cart-count").textContent = count;
    $("cart-count").setAttribute("aria-label", count + (count === 1 ? " book" : " books"));
    save(CART, cart);
  }

  function setQty(isbn, q) {
    if (q <= 0) delete cart[isbn]; else cart[isbn] = Math.min(q, MAX_QTY);
    renderCart();
  }

  document.addEventListener("click", function (ev) {
    var add = ev.target.closest("[data-add]");
    if (add) {
      var isbn = add.dataset.add;
      setQty(isbn, (cart[isbn] || 0) + 1);
      announce(books[isbn].title + " added. " + cart[isbn] + " in your cart.");
      return;
    }
    var line = ev.target.closest(".cart-line");
    if (!line) return;
    var i = line.dataset.isbn;
    if (ev.target.closest("[data-inc]")) setQty(i, cart[i] + 1);
    else if (ev.target.closest("[data-dec]")) setQty(i, cart[i] - 1);
    else if (ev.target.closest("[data-remove]")) { setQty(i, 0); announce(books[i].title + " removed."); $("cart").focus(); return; }
    else return;
    var again = document.querySelector('.cart-line[data-isbn="' + i + '"] ' + (ev.target.closest("[data-inc]") ? "[data-inc]" : "[data-dec]"));
    if (again) again.focus();
    announce(cart[i] ? cart[i] + " copies of " + books[i].title : books[i].title + " removed.");
  });

  // The checkout.
  var form = $("checkout"), attempt = null;

  function fieldValue(name) {
    var el = form.elements[name];
    return el ? el.value : "";
  }
  function request() {
    return {
      customer: { name: fieldValue("customer.name"), email: fieldValue("customer.email") },
      items: Object.keys(cart).map(function (isbn) { return { isbn: isbn, quantity: cart[isbn] }; }),
      payment: { token: (form.querySelector('input[name="payment.token"]:checked') || {}).value || "" },
      shipping_address: {
        line1: fieldValue("shipping_address.line1"), line2: fieldValue("shipping_address.line2"),
        city: fieldValue("shipping_address.city"), postal_code: fieldValue("shipping_address.postal_code"),
        country: fieldValue("shipping_address.country")
      }
    };
  }
  // newKey makes an Idempotency-Key; crypto.randomUUID needs a secure
  // context, getRandomValues does not.
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  }

  function clearErrors() {
    $("form-errors").hidden = true;
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".field-error").forEach(function (el) { el.hidden = true; el.textContent = ""; });
  }
  var labels = { "items": "Cart", "payment.token": "Card", "Idempotency-Key": "Request" };
  function showErrors(problem) {
    var list = problem.errors || [], summary = $("form-errors"), first = null;
    summary.innerHTML = "<strong></strong><ul></ul>";
    summary.querySelector("strong").textContent = problem.title + ". Please check:";
    list.forEach(function (e) {
      var input = form.elements[e.field], label = labels[e.field] || e.field;
      var m = /^items\[(\d+)\]/.exec(e.field);
      if (m) label = (books[Object.keys(cart)[+m[1]]] || {}).title || "A book in the cart";
      if (input && input.id) {
        label = form.querySelector('label[for="' + input.id + '"]').textContent;
        input.setAttribute("aria-invalid", "true");
        var msg = $(input.id + "-error");
        msg.textContent = label + " " + e.detail + ".";
        msg.hidden = false;
        first = first || input;
      }
      var li = document.createElement("li");
      li.textContent = label + " " + e.detail;
      summary.querySelector("ul").appendChild(li);
    });
    if (!list.length) {
      var only = document.createElement("li");
      only.textContent = problem.detail || "";
      summary.querySelector("ul").appendChild(only);
    }
    summary.hidden = false;
    summary.focus();
  }

  function remember(order) {
    var recent = load(RECENT, []).filter(function (r) { return r.id !== order.id; });
    recent.unshift({ id: order.id, at: order.created_at, total: money(order.total_cents, order.currency) });
    save(RECENT, recent.slice(0, 5));
  }

  form.addEventListener("input", function () { attempt = null; });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    var body = JSON.stringify(request());
    // The same attempt keeps its key, so a retry after a lost answer
    // returns the order already placed instead of placing another.
    if (!attempt || attempt.body !== body) attempt = { body: body, key: newKey() };
    var button = $("place"), status = $("place-status");
    button.disabled = true;
    status.textContent = "Placing your order…";
    fetch("/api/orders", {
      method: "POST", body: body,
      headers: { "Content-Type": "application/json", "Idempotency-Key": attempt.key }
    }).then(function (resp) {
      return resp.json().then(function (data) { return { resp: resp, data: data }; });
    }).then(function (r) {
      if (r.resp.status === 202 || r.resp.status === 200) {
        remember(r.data);
        cart = {};
        save(CART, cart);
        status.textContent = "Order placed. Taking you to it…";
        location.assign("/orders/" + encodeURIComponent(r.data.id));
        return;
      }
      button.disabled = false;
      status.textContent = "";
      showErrors(r.data);
    }).catch(function () {
      button.disabled = false;
      status.textContent = "We could not reach the shop. Check your connection and press Place order again: " +
        "you will not be charged twice.";
    });
  });

  $("example").addEventListener("click", function () {
    var example = {
      "customer.name": "Ada Lovelace", "customer.email": "ada@example.com",
      "shipping_address.line1": "12 St James's Square", "shipping_address.city": "London",
      "shipping_address.postal_code": "SW1Y 4JH", "shipping_address.country": "GB"
    };
    Object.keys(example).forEach(function (name) { form.elements[name].value = example[name]; });
    attempt = null;
    announce("Example details filled in.");
  });

  function renderRecent() {
    var recent = load(RECENT, []), list = $("recent-list");
    $("recent").hidden = recent.length === 0;
    list.textContent = "";
    recent.forEach(function (r) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "/orders/" + encodeURIComponent(r.id);
      a.textContent = "Order of " + new Date(r.at).toLocaleString() + " · " + r.total;
      li.appendChild(a);
      list.appendChild(li);
    });
  }

  renderCart();
  renderRecent();
})();
