// Bookshop order page: follows the order live. The server streams the live
// part of the page, rendered by the same template as the page itself
// (Server-Sent Events), and this script swaps in what changed, so screen
// readers hear only the news. It falls back to polling without EventSource.
"use strict";
(function () {
  var root = document.getElementById("live-root");
  if (!root) return;
  var url = root.dataset.live, id = root.dataset.order;

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }
  // patch updates the old live view to the new one part by part.
  function patch(html) {
    var next = fragment(html), cur = root.querySelector(".live");
    if (!next || !cur) return;
    if (cur.className !== next.className) cur.className = next.className;
    cur.dataset.status = next.dataset.status;
    cur.dataset.final = next.dataset.final;
    [".live-head", ".actions"].forEach(function (sel) {
      var a = cur.querySelector(sel), b = next.querySelector(sel);
      if (a.innerHTML !== b.innerHTML) a.innerHTML = b.innerHTML;
    });
    var ol = cur.querySelector(".timeline"), nol = next.querySelector(".timeline");
    var keys = function (list) { return Array.prototype.map.call(list.children, function (li) { return li.dataset.key; }).join(); };
    if (keys(ol) !== keys(nol)) { ol.innerHTML = nol.innerHTML; return; }
    Array.prototype.forEach.call(nol.children, function (li, i) {
      if (ol.children[i].outerHTML !== li.outerHTML) ol.replaceChild(li.cloneNode(true), ol.children[i]);
    });
  }

  function follow() {
    if (!window.EventSource) return poll();
    var es = new EventSource(url);
    es.addEventListener("live", function (ev) { patch(ev.data); });
    es.addEventListener("end", function () { es.close(); });
  }
  function poll() {
    var timer = setInterval(function () {
      fetch(location.pathname, { headers: { Accept: "text/html" } }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html"), live = doc.querySelector("#live-root .live");
        if (!live) return;
        patch(live.outerHTML);
        if (live.dataset.final === "true") clearInterval(timer);
      });
    }, 2000);
  }

  root.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-cancel]");
    if (!button) return;
    var status = document.getElementById("cancel-status");
    button.disabled = true;
    status.textContent = "Asking to cancel…";
    fetch("/api/orders/" + encodeURIComponent(id) + "/cancel", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reason: "cancelled on the order page" })
    }).then(function (resp) {
      return resp.json().then(function (data) {
        if (resp.status === 202) {
          status.textContent = "We are cancelling your order. This page shows when it is done.";
          button.remove();
        } else {
          status.textContent = data.detail || "The order could not be cancelled.";
          button.disabled = false;
        }
      });
    }).catch(function () {
      status.textContent = "We could not reach the shop; try again.";
      button.disabled = false;
    });
  });

  follow();
})();
