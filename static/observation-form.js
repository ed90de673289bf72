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

  function show(children) {
    list.innerHTML = "";
    children.forEach(function (child) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = child.name + ", year " + child.year_group;
      button.addEventListener("click", function () {
        hidden.value = String(child.id);
        input.value = child.name;
        clear();
        say("Chosen: " + child.name);
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
