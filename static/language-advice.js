// Advice on clear, descriptive words while the writer types. It only shows advice: it never
// changes a word in the form and never stops it being sent. Without JavaScript the server
// shows the same advice after a failed submit and on the page after sending.
(function () {
  "use strict";
  var region = document.getElementById("language-advice");
  var description = document.getElementById("description");
  var voice = document.getElementById("child_voice");
  var tokenInput = document.querySelector("input[name=csrf_token]");
  if (!region || !description || !tokenInput || !window.fetch) { return; }
  var url = region.getAttribute("data-language-check");
  var token = tokenInput.value;
  var MAX_TEXT = 20000;
  var LABELS = {
    "vague": "Vague phrase",
    "jargon": "Jargon",
    "opinion": "Opinion written as fact",
    "too-short": "Too short to picture",
    "no-child-voice": "No words of the child quoted"
  };
  var timer = null;
  var sent = 0;     // the number of the latest request; older answers are ignored
  var shown = null; // what is on screen, so an unchanged answer is not announced again

  // Put the advice straight under the description box.
  var field = description.closest ? description.closest(".field") : null;
  if (field && field.parentNode && field.nextSibling !== region) {
    field.parentNode.insertBefore(region, field.nextSibling);
  }

  function render(findings) {
    var key = JSON.stringify(findings);
    if (key === shown) { return; }
    shown = key;
    region.textContent = "";
    if (!findings.length) { return; }
    var title = document.createElement("h2");
    title.className = "language-advice-title";
    title.textContent = "Advice on your words";
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = "Only advice: you can send the form as it is. Nothing you typed is changed.";
    var list = document.createElement("ul");
    list.className = "language-advice-list";
    findings.forEach(function (finding) {
      var item = document.createElement("li");
      var label = document.createElement("strong");
      label.textContent = (LABELS[finding.kind] || finding.kind) + ":";
      var quoted = document.createElement("q");
      quoted.textContent = finding.text;
      item.appendChild(label);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(quoted);
      item.appendChild(document.createTextNode(". " + finding.suggestion));
      list.appendChild(item);
    });
    region.appendChild(title);
    region.appendChild(note);
    region.appendChild(list);
  }

  function check() {
    var text = description.value;
    var childVoice = voice ? voice.value : "";
    var mine = ++sent;
    if (!text.trim() || text.length > MAX_TEXT || childVoice.length > MAX_TEXT) {
      render([]);
      return;
    }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ text: text, child_voice: childVoice })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (mine !== sent || !body || !Array.isArray(body.findings)) { return; }
      render(body.findings);
    }).catch(function () { /* advice is optional: say nothing if it cannot be fetched */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  description.addEventListener("input", later);
  if (voice) { voice.addEventListener("input", later); }
  // The server may already have shown advice (after a failed submit); keep it until the writer types.
})();
