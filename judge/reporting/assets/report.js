// The audit view. Model and judge text is only ever placed with textContent: never innerHTML.
"use strict";
(function () {
  var PAGE = 50;
  var data = JSON.parse(document.getElementById("audit-data").textContent);
  var rows = data.rows;
  var form = document.getElementById("filters");
  var list = document.getElementById("audit-list");
  var count = document.getElementById("audit-count");
  var more = document.getElementById("more");
  var shown = [], limit = PAGE;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function haystack(r) {
    if (r._h === undefined) {
      r._h = [r.item_id, r.category, r.prompt, r.reference || "", r.output_a, r.output_b,
              r.rationale, r.raw_reply, r.reason || ""].join("\n").toLowerCase();
    }
    return r._h;
  }
  function value(name) { return form.elements[name].value; }
  function checked(name) { return form.elements[name].checked; }

  // Same rules as judge.report.audit.filter_rows.
  function matches(r) {
    var q = value("search").toLowerCase();
    return (!value("category") || r.category === value("category")) &&
      (!value("result") || r.result === value("result")) &&
      (!value("confidence") || r.confidence === value("confidence")) &&
      (!checked("inconsistent") || r.position_consistent === false) &&
      (!checked("check_disagrees") || r.check_disagrees === true) &&
      (!checked("rationale_disagrees") || r.rationale_disagrees === true) &&
      (!checked("failed") || r.status === "failed") &&
      (!q || haystack(r).indexOf(q) !== -1);
  }
  function roleName(role) {
    return (role === "finetuned" ? "fine-tuned" : "base") + " (" + (data.models[role] || role) + ")";
  }
  function reveal(card, r) {
    var other = r.a_role === "finetuned" ? "base" : "finetuned";
    var info = card.querySelector(".reveal-info");
    info.textContent = "A = " + roleName(r.a_role) + " · B = " + roleName(other) +
      (r.result ? " → " + r.result : "") + (r.check_verdict ? " · checks say " + r.check_verdict : "");
    card.querySelector(".reveal").hidden = true;
  }
  function criteria(r) {
    var names = Object.keys(r.criteria || {});
    if (!names.length) return null;
    var table = el("table", "t");
    var head = table.insertRow();
    head.appendChild(el("th", null, "Criterion"));
    head.appendChild(el("th", null, "Preferred"));
    names.forEach(function (n) {
      var tr = table.insertRow();
      tr.appendChild(el("td", null, n));
      tr.appendChild(el("td", null, r.criteria[n]));
    });
    return table;
  }
  function output(r, label, text) {
    var box = el("div");
    box.appendChild(el("div", "label", "Output " + label + (r.judge_label === label ? " — judge's choice" : "")));
    box.appendChild(el("div", "out text" + (r.judge_label === label ? " chosen" : ""), text));
    return box;
  }
  function header(r) {
    var head = el("div", "head");
    var link = el("a", "link", "#");
    link.href = "#c=" + encodeURIComponent(r.key);
    link.title = "Link to this comparison";
    head.appendChild(link);
    head.appendChild(el("span", "id", r.item_id));
    head.appendChild(el("span", "muted", "round " + r.round + " · " + r.category));
    if (r.status === "failed") head.appendChild(el("span", "badge failed", "failed"));
    else head.appendChild(el("span", "badge", "judge: " + (r.judge_label || "—") +
      (r.confidence ? " (" + r.confidence + ")" : "")));
    if (r.status === "decided_by_check") head.appendChild(el("span", "badge", "decided by check"));
    if (r.position_consistent === false) head.appendChild(el("span", "badge flag", "position-inconsistent"));
    if (r.check_disagrees) head.appendChild(el("span", "badge flag", "check disagrees"));
    if (r.rationale_disagrees) head.appendChild(el("span", "badge flag", "contradicts its criteria"));
    return head;
  }
  function card(r) {
    var c = el("article", "cmp");
    c.id = "c-" + r.index;
    c.appendChild(header(r));
    c.appendChild(el("div", "prompt text", r.prompt));
    if (r.reference) c.appendChild(el("div", "muted text", "Reference: " + r.reference));
    var pair = el("div", "pair");
    pair.appendChild(output(r, "A", r.output_a));
    pair.appendChild(output(r, "B", r.output_b));
    c.appendChild(pair);
    var crit = criteria(r);
    if (crit) c.appendChild(crit);
    if (r.rationale) c.appendChild(el("div", "rationale text", r.rationale));
    if (r.reason) c.appendChild(el("div", "muted text", "Reason: " + r.reason));
    var raw = el("details");
    raw.appendChild(el("summary", null, "Raw judge reply"));
    raw.appendChild(el("pre", "out", r.raw_reply || "(none)"));
    c.appendChild(raw);
    var btn = el("button", "reveal", "Reveal which model was which");
    btn.type = "button";
    btn.addEventListener("click", function () { reveal(c, r); });
    c.appendChild(btn);
    c.appendChild(el("span", "reveal-info"));
    if (checked("reveal_all")) reveal(c, r);
    return c;
  }
  function draw(single) {
    list.replaceChildren();
    shown.slice(0, limit).forEach(function (r) { list.appendChild(card(r)); });
    count.textContent = "Showing " + Math.min(limit, shown.length) + " of " + shown.length +
      (single ? " linked comparison (" : " matching comparisons (") + rows.length + " in all).";
    if (single) {
      var all = el("a", null, "Show all comparisons");
      all.href = "#audit";
      count.append(" ", all);
    }
    more.hidden = shown.length <= limit;
  }
  function target() {
    var m = /^#c=(.*)$/.exec(location.hash);
    if (!m) return null;
    var key = decodeURIComponent(m[1]);
    return rows.filter(function (r) { return r.key === key; });
  }
  function apply() {
    var one = target();
    shown = one !== null ? one : rows.filter(matches);
    limit = PAGE;
    draw(one !== null);
    if (one !== null && one.length) {
      list.firstChild.classList.add("target");
      list.firstChild.scrollIntoView();
    }
  }
  rows.forEach(function (r, i) { r.index = i; });
  function changed() {
    // A filter change leaves a single-comparison link.
    if (location.hash.indexOf("#c=") === 0) {
      try { history.replaceState(null, "", location.pathname + location.search); } catch (e) { location.hash = ""; }
    }
    apply();
  }
  // Both events: some controls (a select changed by script or driver) fire only one of them.
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  more.addEventListener("click", function () { limit += PAGE; draw(false); });
  window.addEventListener("hashchange", apply);
  apply();
  document.documentElement.setAttribute("data-audit-ready", String(rows.length));
})();
