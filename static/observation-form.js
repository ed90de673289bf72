// Type-ahead for choosing a child. Without JavaScript the server matches the typed name instead.
(function () {
  "use strict";
  var input = document.getElementById("child_query");
  var hidden = document.getElementById("child_id");
  var list = document.getElementById("child-results");
  var status = document.getElementById("child-results-status");
  if (!input || !hidden || !list) { return; }
  var token = document.querySelector("input[name=csrf_token]").value;
  var url = input.getAttribute("data-child-search");
  var timer = null;

  // A plain list of buttons (Tab to one, Enter or Space to choose it), and a short spoken status.
  function say(words) { if (status) { status.textContent = words; } }

  function clear() { list.innerHTML = ""; list.hidden = true; say(""); }

  // The server's list of same-name children, or its "Chosen" line, belongs to the old name.
  var shown = document.createElement("p");
  shown.className = "chosen-child";
  shown.id = "chosen-by-search";
  shown.hidden = true;
  list.parentNode.insertBefore(shown, list.nextSibling);
  function forgetChoice() {
    ["child-choice", "chosen-child", "namesake-warning"].forEach(function (id) {
      var old = document.getElementById(id);
      if (old) { old.parentNode.removeChild(old); }
    });
  }

  function show(children) {
    list.innerHTML = "";
    children.forEach(function (child) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      var label = child.name + ", year " + child.year_group + ", born " + child.born;
      button.textContent = label;
      button.addEventListener("click", function () {
        hidden.value = String(child.id);
        input.value = child.name;
        clear();
        forgetChoice();
        shown.textContent = "Chosen: " + label;
        shown.hidden = false;
        say("Chosen: " + label);
        input.focus();
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    list.hidden = children.length === 0;
    say(children.length === 0 ? "No child matches." :
      children.length + (children.length === 1 ? " child matches" : " children match") + ": press Tab to choose.");
  }

  input.addEventListener("input", function () {
    hidden.value = "";  // a new name means a new choice
    forgetChoice();
    shown.hidden = true;
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { clear(); return; }
    timer = setTimeout(function () {
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ q: q })
      }).then(function (r) { return r.ok ? r.json() : []; }).then(show).catch(clear);
    }, 200);
  });
})();
