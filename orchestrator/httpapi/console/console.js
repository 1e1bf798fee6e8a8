// The operator console: everything here goes through the admin API with
// the token the operator gives once per tab. Text from the API is only
// ever set as textContent, never parsed as HTML.
"use strict";
(() => {
  const TOKEN = "bookshop-admin-token";
  const OPERATOR = "bookshop-admin-operator";
  const $ = (sel) => document.querySelector(sel);
  const state = { me: null, machine: null, open: "", openState: "", stuckNext: "", poll: 0, diagramURL: "", dialog: null };

  // el builds an element; strings become text, never markup.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "dataset") Object.assign(e.dataset, v);
      else if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
    return e;
  }

  function say(text, kind) {
    const s = $("#status");
    s.textContent = text;
    s.className = kind || "";
  }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, opts = {}) {
    const headers = { Authorization: "Bearer " + sessionStorage.getItem(TOKEN), ...(opts.headers || {}) };
    const operator = sessionStorage.getItem(OPERATOR);
    if (operator) headers["X-Operator"] = encodeURIComponent(operator);
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    const resp = await fetch(path, { method: opts.method || "GET", headers, body });
    if (resp.status === 401) {
      signOut("The token was refused. Sign in again.");
      throw new Error("the token was refused");
    }
    return resp;
  }

  async function getJSON(path) {
    const resp = await api(path);
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.detail || resp.statusText);
    return body;
  }

  async function send(path, method, json, key) {
    const headers = key ? { "Idempotency-Key": key } : {};
    const resp = await api(path, { method, json, headers });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(body.detail || `${resp.status} ${resp.statusText}`);
    return body;
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
  }

  function age(iso) {
    if (!iso) return "";
    let s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 90) return `${s} s`;
    const m = Math.round(s / 60);
    if (m < 90) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h} h ${m % 60} min`;
    return `${Math.floor(h / 24)} days ${h % 24} h`;
  }

  function badge(s) {
    const kind = s === "stuck" ? "stuck" : (state.machine?.terminal.includes(s) ? "terminal" : "");
    return el("span", { class: `badge ${kind}` }, s);
  }

  // ---- signing in ----

  function signOut(why) {
    sessionStorage.removeItem(TOKEN);
    clearTimeout(state.poll);
    $("#app").hidden = true;
    $("#session").hidden = true;
    $("#signin").hidden = false;
    $("#signin-error").textContent = why || "";
    $("#token").value = "";
    $("#token").focus();
  }

  async function enter() {
    try {
      state.me = await getJSON("/admin/me");
    } catch (e) {
      $("#signin-error").textContent = `Could not sign in: ${e.message}`;
      return;
    }
    $("#signin").hidden = true;
    $("#app").hidden = false;
    $("#session").hidden = false;
    $("#session-text").textContent = state.me.can_act
      ? `Signed in as ${state.me.operator}.`
      : "Signed in read-only: you can look, not act.";
    await loadAll();
  }

  async function loadAll() {
    say("Loading…");
    try {
      state.machine = await getJSON("/admin/saga?format=json");
      fillSteps();
      await Promise.all([loadStats(), loadStuck(true), loadDead(), state.open ? openOrder(state.open) : loadDiagram()]);
      say(`Up to date at ${new Date().toLocaleTimeString()}.`);
    } catch (e) {
      say(`Could not load: ${e.message}`, "bad");
    }
  }

  // ---- counts ----

  async function loadStats() {
    const st = await getJSON("/admin/stats");
    const rows = state.machine.states.map((s) =>
      el("tr", {}, el("th", { scope: "row" }, badge(s)), el("td", { class: "num" }, String(st.states[s] ?? 0))));
    rows.push(el("tr", {}, el("th", { scope: "row" }, "total"), el("td", { class: "num" }, String(st.total))));
    $("#counts tbody").replaceChildren(...rows);
    $("#stuck-summary").textContent = st.stuck === 0
      ? "No order needs an operator."
      : `${st.stuck} order${st.stuck === 1 ? "" : "s"} need${st.stuck === 1 ? "s" : ""} an operator ` +
        `(${st.overdue} overdue); the oldest has waited ${age(st.oldest_stuck_since)}.`;
  }

  // ---- stuck list ----

  async function loadStuck(fresh) {
    const after = fresh ? "" : state.stuckNext;
    const page = await getJSON(`/admin/orders?stuck=true&limit=50${after ? "&after=" + encodeURIComponent(after) : ""}`);
    const rows = page.orders.map((o) => {
      const since = o.stuck_since || o.next_attempt_at;
      return el("tr", { class: o.state === "stuck" ? "stuck" : "waiting" },
        el("td", {}, el("button", { type: "button", class: "link mono", dataset: { order: o.id },
          onclick: () => openOrder(o.id, true) }, o.id)),
        el("td", {}, badge(o.state)), el("td", {}, o.step), el("td", { class: "num" }, String(o.attempts)),
        el("td", {}, age(since)), el("td", {}, when(since)));
    });
    if (fresh) $("#stuck-table tbody").replaceChildren(...rows);
    else $("#stuck-table tbody").append(...rows);
    state.stuckNext = page.next;
    $("#stuck-more").hidden = !page.next;
    $("#stuck-empty").hidden = $("#stuck-table tbody").children.length > 0;
  }

  function fillSteps() {
    const sel = $("#bulk-step");
    if (sel.options.length) return;
    sel.replaceChildren(...state.machine.steps.map((s) => el("option", { value: s }, s)));
  }

  // ---- one order ----

  async function openOrder(id, focus) {
    clearTimeout(state.poll);
    let o;
    try {
      o = await getJSON(`/admin/orders/${encodeURIComponent(id)}`);
    } catch (e) {
      say(`Could not open order ${id}: ${e.message}`, "bad");
      return;
    }
    const changed = state.open !== id || state.openState !== o.state;
    state.open = id;
    state.openState = o.state;
    renderOrder(o);
    if (changed) await loadDiagram();
    if (focus) {
      $("#order-h").tabIndex = -1;
      $("#order-h").focus();
    }
    if (!state.machine.terminal.includes(o.state)) {
      state.poll = setTimeout(() => openOrder(id), 2000); // follow it while it moves
    }
  }

  function renderOrder(o) {
    $("#order-h").textContent = `Order ${o.id}`;
    $("#order-none").hidden = true;
    $("#order-view").hidden = false;
    const facts = [
      ["State", badge(o.state)], ["Step", o.step || "—"], ["Attempts", String(o.attempts)],
      ["Next attempt", o.next_attempt_at ? `${when(o.next_attempt_at)} (${age(o.next_attempt_at)} ago if past)` : "—"],
      ["Stuck since", o.stuck_since ? `${when(o.stuck_since)} (${age(o.stuck_since)})` : "—"],
      ["Last error", o.last_error || "—"], ["Command id", el("span", { class: "mono" }, o.command_id || "—")],
      ["Created", when(o.created_at)], ["Updated", when(o.updated_at)],
    ];
    const dl = $("#order-facts");
    dl.dataset.state = o.state;
    dl.replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    for (const b of document.querySelectorAll("#order-view [data-action]")) {
      b.disabled = !state.me.can_act || !o.allowed_actions.includes(b.dataset.action);
    }
    $("#actions-note").textContent = !state.me.can_act ? "Your token is read-only."
      : o.allowed_actions.length === 0 ? "This order has ended: no action applies."
      : `Allowed now: ${o.allowed_actions.join(", ")}.`;
    $("#timeline tbody").replaceChildren(...o.history.map(timelineRow));
    $("#order-data").textContent = JSON.stringify(o.data, null, 2);
  }

  function timelineRow(h) {
    const cls = h.by ? "operator" : h.event;
    const move = h.from || h.to ? `${h.from || "·"} → ${h.to || "·"}` : "";
    return el("tr", { class: cls },
      el("td", {}, when(h.at)), el("td", {}, h.event), el("td", {}, move),
      el("td", { class: "mono" }, h.message_id || ""), el("td", {}, h.by || ""),
      el("td", {}, h.reason || h.detail || ""));
  }

  // ---- actions ----

  const verbs = { retry: "Retry", cancel: "Cancel", resolve: "Resolve" };
  const explain = {
    retry: "Sends the current step's command again now (same command id); its attempts start over.",
    cancel: "Compensates whatever may have happened: cancels the delivery, refunds the charge, tells the customer.",
    resolve: "Ends the order as resolved, for a case fixed by hand. Nothing is sent to the workers.",
  };

  function orderAction(action, trigger) {
    const id = state.open;
    const key = newKey(); // one key per dialog: a double submit is one action
    openDialog({
      title: `${verbs[action]} order ${id}?`, what: explain[action], ok: verbs[action], trigger, reasonRequired: true,
      run: async (reason) => {
        const res = await send(`/admin/orders/${encodeURIComponent(id)}/${action}`, "POST", { reason }, key);
        say(`${verbs[action]} accepted: order ${id} is now ${res.order.state}.`, "ok");
        await Promise.all([openOrder(id), loadStats(), loadStuck(true)]);
      },
    });
  }

  function deadAction(d, action, trigger) {
    const replay = action === "replay";
    const whole = d.size <= d.preview.length;
    openDialog({
      title: replay ? `Replay message ${d.id}?` : `Delete message ${d.id}?`,
      what: replay ? `Sends it to the ${d.original_queue} queue again, then removes it from ${d.queue}.`
        : `Removes it from ${d.queue} for good.`,
      ok: replay ? "Replay" : "Delete", trigger, reasonRequired: false,
      body: replay ? (whole ? d.preview : "") : null,
      run: async (reason, body) => {
        const path = `/admin/dead-letters/${encodeURIComponent(d.id)}` + (replay ? "/replay" : "");
        const json = { reason };
        if (replay && body.trim() !== "" && body !== d.preview) json.body = body;
        await send(path, replay ? "POST" : "DELETE", json);
        say(replay ? `Message ${d.id} replayed to ${d.original_queue}.` : `Message ${d.id} deleted.`, "ok");
        await Promise.all([loadDead(), loadStats()]);
      },
    });
  }

  function openDialog(opts) {
    state.dialog = opts;
    $("#confirm-h").textContent = opts.title;
    $("#confirm-what").textContent = opts.what;
    $("#reason-label").textContent = opts.reasonRequired ? "Reason (required, kept in the timeline)" : "Reason (optional, logged)";
    $("#reason").value = "";
    $("#reason").required = opts.reasonRequired;
    $("#replay-body-wrap").hidden = opts.body === null || opts.body === undefined;
    $("#replay-body").value = opts.body || "";
    $("#confirm-error").textContent = "";
    $("#confirm-ok").textContent = opts.ok;
    $("#confirm-ok").disabled = false;
    $("#confirm").showModal();
    $("#reason").focus();
  }

  function closeDialog() {
    $("#confirm").close();
    state.dialog?.trigger?.focus();
  }

  async function confirmDialog(ev) {
    ev.preventDefault();
    const opts = state.dialog;
    const reason = $("#reason").value.trim();
    if (opts.reasonRequired && reason === "") {
      $("#confirm-error").textContent = "Give a reason: it is recorded in the order's timeline.";
      $("#reason").focus();
      return;
    }
    $("#confirm-ok").disabled = true;
    try {
      await opts.run(reason, $("#replay-body").value);
      closeDialog();
    } catch (e) {
      $("#confirm-error").textContent = e.message;
      $("#confirm-ok").disabled = false;
    }
  }

  async function bulkRetry(ev) {
    ev.preventDefault();
    const step = $("#bulk-step").value;
    try {
      const res = await send("/admin/orders/retry", "POST",
        { step, reason: $("#bulk-reason").value.trim(), limit: Number($("#bulk-limit").value) }, newKey());
      say(`Retried ${res.count} order${res.count === 1 ? "" : "s"} stuck at ${step}.`, "ok");
      await Promise.all([loadStats(), loadStuck(true)]);
    } catch (e) {
      say(`Bulk retry refused: ${e.message}`, "bad");
    }
  }

  // ---- dead letters ----

  async function loadDead() {
    let res;
    try {
      res = await getJSON("/admin/dead-letters");
    } catch (e) {
      $("#dead-summary").textContent = `Dead letters unavailable: ${e.message}`;
      return;
    }
    const total = Object.values(res.queues).reduce((a, b) => a + b, 0);
    $("#dead-summary").textContent = `${total} message${total === 1 ? "" : "s"} in the dead-letter queues.`;
    $("#dead-table tbody").replaceChildren(...res.dead_letters.map((d) => el("tr", {},
      el("td", {}, d.queue), el("td", {}, d.type || "—"), el("td", {}, d.reason),
      el("td", {}, when(d.dead_lettered_at)), el("td", { class: "mono" }, d.id),
      el("td", { class: "mono preview" }, d.preview + (d.size > d.preview.length ? " …" : "")),
      el("td", {},
        el("button", { type: "button", class: "act", disabled: !state.me.can_act, dataset: { replay: d.id },
          onclick: (e) => deadAction(d, "replay", e.currentTarget) }, "Replay"), " ",
        el("button", { type: "button", disabled: !state.me.can_act, dataset: { delete: d.id },
          onclick: (e) => deadAction(d, "delete", e.currentTarget) }, "Delete")))));
    $("#dead-empty").hidden = res.dead_letters.length > 0;
  }

  // ---- diagram ----

  async function loadDiagram() {
    const q = state.open ? `&order=${encodeURIComponent(state.open)}` : "";
    const [svg, text] = await Promise.all([api(`/admin/saga?format=svg${q}`), api(`/admin/saga?format=mermaid${q}`)]);
    if (!svg.ok) return;
    if (state.diagramURL) URL.revokeObjectURL(state.diagramURL);
    state.diagramURL = URL.createObjectURL(await svg.blob());
    $("#saga-img").src = state.diagramURL;
    $("#saga-img").alt = state.open
      ? `The purchase saga, with the path of order ${state.open} (now ${state.openState}) highlighted. The text version is below.`
      : "The purchase saga state machine. The text version is below.";
    $("#diagram-note").textContent = state.open
      ? `Drawn from the table the orchestrator runs; highlighted: order ${state.open}.`
      : "Drawn from the table the orchestrator runs. Open an order to see its path.";
    $("#saga-text").textContent = await text.text();
  }

  // ---- wiring ----

  document.addEventListener("DOMContentLoaded", () => {
    $("#signin-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN, $("#token").value.trim());
      sessionStorage.setItem(OPERATOR, $("#operator").value.trim());
      enter();
    });
    $("#sign-out").addEventListener("click", () => signOut(""));
    $("#refresh").addEventListener("click", loadAll);
    $("#stuck-more").addEventListener("click", () => loadStuck(false));
    $("#find-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      openOrder($("#find-id").value.trim(), true);
    });
    $("#bulk-form").addEventListener("submit", bulkRetry);
    for (const b of document.querySelectorAll("#order-view [data-action]")) {
      b.addEventListener("click", () => orderAction(b.dataset.action, b));
    }
    $("#confirm-form").addEventListener("submit", confirmDialog);
    $("#confirm-back").addEventListener("click", closeDialog);
    if (sessionStorage.getItem(TOKEN)) enter();
    else signOut("");
  });
})();
