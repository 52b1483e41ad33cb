/* Small enhancements; every page works without them.
   - intake form: add/remove parties without a round trip, person/organisation fields, the
     referral's fields for a referred source
   - forms marked data-draft keep what was typed in sessionStorage until saved, so an
     expired session or a lost connection does not lose a half-written form
   - a posted form's buttons are disabled once it is sent (a courtesy: the server does each
     form's work once however often it is sent, by its one-time submission token) */
"use strict";
document.documentElement.classList.add("js");

function partyRows(form) { return form.querySelectorAll("[data-parties] [data-party]"); }

function renumberParties(form) {
  partyRows(form).forEach(function (row, i) {
    var n = row.querySelector("[data-party-number]");
    if (n) n.textContent = i + 1;
  });
}

function nextPartyIndex(form) {
  var max = -1;
  form.querySelectorAll("[data-parties] [name$='-name']").forEach(function (input) {
    var m = /^parties-(\d+)-/.exec(input.name);
    if (m) max = Math.max(max, parseInt(m[1], 10));
  });
  return max + 1;
}

/* A new row's key, so a merge after a refused save knows it as the same row. */
function newRowKey() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
}

function addParty(form, role, index) {
  var template = document.getElementById("party-template");
  if (index === undefined) index = nextPartyIndex(form);
  var html = template.innerHTML.replace(/__i__/g, String(index));
  var holder = document.createElement("div");
  holder.innerHTML = html.trim();
  var row = holder.firstElementChild;
  var key = row.querySelector("[data-row-key]");
  if (key) key.value = newRowKey();
  var roleSelect = row.querySelector("[data-party-role]");
  if (roleSelect) roleSelect.value = role;
  form.querySelector("[data-parties]").appendChild(row);
  renumberParties(form);
  var name = row.querySelector("[name$='-name']");
  if (name) name.focus();
  return row;
}

function setupPartyForm(form) {
  form.addEventListener("click", function (e) {
    var add = e.target.closest("[data-add-party]");
    if (add) { e.preventDefault(); addParty(form, add.getAttribute("data-add-party")); saveDraft(form); return; }
    var remove = e.target.closest("[data-remove-party]");
    if (remove) {
      e.preventDefault();
      if (partyRows(form).length <= 2) {
        alert("至少需要一名申请人和一名被申请人。");
        return;
      }
      var row = remove.closest("[data-party]");
      var name = (row.querySelector("[name$='-name']") || {}).value;
      if (!name || confirm("删除当事人“" + name + "”？")) { row.remove(); renumberParties(form); saveDraft(form); }
    }
  });
  form.addEventListener("change", function (e) {
    if (e.target.matches("[data-party-kind]")) {
      e.target.closest("[data-party]").setAttribute("data-kind", e.target.value);
    }
  });
}

/* After a refused save: "use theirs" puts the saved value into the field; what was typed
   stays shown beside it. */
function setupConflicts(form) {
  form.addEventListener("click", function (e) {
    var button = e.target.closest("[data-use-theirs]");
    if (!button) return;
    var pair = button.closest("[data-conflict-for]");
    var el = document.getElementById(pair.getAttribute("data-conflict-for"));
    if (!el) return;
    el.value = button.getAttribute("data-use-theirs");
    el.dispatchEvent(new Event("change", { bubbles: true }));
    button.textContent = "已改用对方的";
    button.disabled = true;
  });
}

/* --- drafts --------------------------------------------------------------------------- */
function draftKey(form) { return "draft:" + form.getAttribute("data-draft"); }

function formValues(form) {
  var values = [];
  Array.prototype.forEach.call(form.elements, function (el) {
    // The tokens belong to the page that drew the form, not to a draft restored later.
    if (!el.name || el.name === "csrf_token" || el.name === "submission" || el.type === "submit" || el.type === "button") return;
    if (el.type === "checkbox") values.push([el.name, el.checked ? "y" : ""]);
    else values.push([el.name, el.value]);
  });
  return values;
}

function saveDraft(form) {
  try {
    sessionStorage.setItem(draftKey(form), JSON.stringify({ at: Date.now(), values: formValues(form) }));
    var status = form.querySelector("[data-draft-status]");
    if (status) status.textContent = "草稿已自动保存在本浏览器（" + new Date().toLocaleTimeString("zh-CN") + "）";
  } catch (err) { /* storage full or disabled: the form still works */ }
}

function restoreDraft(form, draft) {
  var wanted = {};
  draft.values.forEach(function (pair) {
    var m = /^parties-(\d+)-role$/.exec(pair[0]);
    if (m) wanted[m[1]] = pair[1];
  });
  // Recreate the party rows the draft had, with their indexes, then fill fields by name.
  partyRows(form).forEach(function (row) { row.remove(); });
  Object.keys(wanted).sort(function (a, b) { return a - b; }).forEach(function (index) {
    addParty(form, wanted[index], index);
  });
  draft.values.forEach(function (pair) {
    // The version and base come back too: the draft was typed over them, so a save of it
    // after someone else saved is refused and merged rather than taken for a fresh edit.
    var el = form.elements.namedItem(pair[0]);
    if (!el) return;
    if (el.type === "checkbox") el.checked = pair[1] === "y";
    else el.value = pair[1];
    if (el.matches && el.matches("[data-party-kind]")) el.closest("[data-party]").setAttribute("data-kind", el.value);
  });
}

function setupDraft(form) {
  var raw = null;
  try { raw = sessionStorage.getItem(draftKey(form)); } catch (err) { return; }
  var rerendered = form.querySelector(".has-error") || document.querySelector(".conflict");
  if (raw && !rerendered) {
    var draft = JSON.parse(raw);
    var banner = document.createElement("div");
    banner.className = "flash flash-info draft-banner";
    banner.setAttribute("role", "status");
    banner.innerHTML = "<span>发现 " + new Date(draft.at).toLocaleString("zh-CN") +
      " 未提交的填写内容。</span><button type='button' class='button small primary' data-restore>恢复</button>" +
      "<button type='button' class='button small' data-discard>丢弃</button>";
    form.parentNode.insertBefore(banner, form);
    banner.querySelector("[data-restore]").addEventListener("click", function () {
      restoreDraft(form, draft); banner.remove();
    });
    banner.querySelector("[data-discard]").addEventListener("click", function () {
      sessionStorage.removeItem(draftKey(form)); banner.remove();
    });
  }
  var timer = null;
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { saveDraft(form); }, 400); });
  form.addEventListener("change", function () { saveDraft(form); });
}

/* --- sent once -------------------------------------------------------------------------- */
function formButtons(form) {
  return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
}

function releaseForm(form) {
  form.removeAttribute("data-sending");
  formButtons(form).forEach(function (b) { b.disabled = false; b.removeAttribute("aria-busy"); });
}

// Back to a form already sent, on a page the browser fetched anew (not kept whole): the
// fields come back as typed, the token would be a new one. The token sent is put back, so
// submitting again shows the first result instead of doing the work a second time.
function tokenKey(form) {
  var same = document.querySelectorAll("form[method=post]");
  return "sent:" + location.pathname + ":" + Array.prototype.indexOf.call(same, form);
}

function restoreSentTokens() {
  var nav = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
  if (!nav || nav.type !== "back_forward") return;
  document.querySelectorAll("form[method=post] input[name=submission]").forEach(function (input) {
    try {
      var sent = sessionStorage.getItem(tokenKey(input.form));
      if (sent) input.value = sent;
    } catch (err) { /* storage disabled: a new token */ }
  });
}

// On the document, so it runs after any handler of the form itself that cancels the submit.
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (e.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
  if (form.hasAttribute("data-sending")) { e.preventDefault(); return; }
  form.setAttribute("data-sending", "");
  var token = form.querySelector("input[name=submission]");
  try { if (token) sessionStorage.setItem(tokenKey(form), token.value); } catch (err) { /* ignore */ }
  // Disabled only once the browser has read the form: a disabled button is not sent, and
  // some buttons (添加一项) say by their name what the post is for.
  setTimeout(function () {
    formButtons(form).forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
  }, 0);
  // An answer that leaves the page where it is (a download): usable again after a while.
  setTimeout(function () { releaseForm(form); }, 10000);
});

// Back to a page kept whole by the browser: its forms can be used again (a repeat of the
// same form is answered with the first one's result by the server).
window.addEventListener("pageshow", function (e) {
  if (e.persisted) document.querySelectorAll("form[data-sending]").forEach(releaseForm);
});

// Online application: suggest the committee whose service area the place names (the
// server does the same when none is chosen); the applicant may still change it.
function setupCommitteeSuggestion(form) {
  var place = form.querySelector("#place");
  var select = form.querySelector("[data-committee-select]");
  var note = form.querySelector("[data-suggestion]");
  if (!place || !select) return;
  var chosenByHand = select.value !== "";
  select.addEventListener("change", function () { chosenByHand = true; });
  place.addEventListener("input", function () {
    if (chosenByHand) return;
    var best = null, bestLength = 0;
    Array.prototype.forEach.call(select.options, function (option) {
      (option.getAttribute("data-areas") || "").split("、").forEach(function (area) {
        if (area && place.value.indexOf(area) >= 0 && area.length > bestLength) { best = option; bestLength = area.length; }
      });
    });
    select.value = best ? best.value : "";
    if (note) note.textContent = best ? "按发生地推荐：" + best.textContent + "（可以改选）" : "不选的，按发生地交给服务该地的调委会；您也可以改选。";
  });
}

document.addEventListener("DOMContentLoaded", function () {
  restoreSentTokens();
  document.querySelectorAll("form[data-apply]").forEach(setupCommitteeSuggestion);
  document.querySelectorAll("meta[name=clear-draft]").forEach(function (meta) {
    try { sessionStorage.removeItem("draft:" + meta.content); } catch (err) { /* ignore */ }
  });
  // Filters folded away on a phone stay open on a laptop, where there is room.
  if (window.innerWidth > 760) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }
  document.querySelectorAll("form.case-form").forEach(setupPartyForm);
  // Intake: the referral's fields only for a referred source (the server asks for them then).
  document.querySelectorAll("form[data-referred-sources]").forEach(function (form) {
    var source = form.querySelector("#source");
    if (!source) return;
    var referred = form.getAttribute("data-referred-sources").split(" ");
    var show = function () { form.setAttribute("data-referred", referred.indexOf(source.value) >= 0 ? "yes" : "no"); };
    source.addEventListener("change", show);
    show();
  });
  document.querySelectorAll("form.case-form, form.record-form").forEach(setupConflicts);
  document.querySelectorAll("form.agreement-form").forEach(function (form) {
    var kind = form.querySelector("#kind");
    var show = function () { form.setAttribute("data-kind", kind.value); };
    kind.addEventListener("change", show);
    show();
  });
  // Statistics: show the month or the quarter select only when the period asks for it.
  document.querySelectorAll("form[data-period]").forEach(function (form) {
    var kind = form.querySelector("#kind");
    var show = function () { form.setAttribute("data-period", kind.value); };
    kind.addEventListener("change", show);
    show();
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form[data-draft]").forEach(setupDraft);
  var logout = document.querySelector("form[action$='/logout']");
  if (logout) logout.addEventListener("submit", function () { try { sessionStorage.clear(); } catch (err) { /* ignore */ } });
});
