// Agent assist: published articles matching what the customer asked, from GET /api/v1/assist.
// On the record form it follows the problem description as the agent types; on the record page it searches once.
// Pages work without it: articles can always be linked by ID on the record page.
(function () {
  "use strict";
  //: Milliseconds of quiet typing before asking, so a search does not run on every keystroke.
  var DEBOUNCE_MS = 400;
  //: Shorter descriptions match too much to be useful.
  var MIN_CHARS = 4;
  //: The API's limit on the text; the start of a description carries the question.
  var MAX_CHARS = 2000;
  var SUGGESTIONS = 5;

  function idList(text) {
    return (text || "").split(",").filter(function (item) {
      return item !== "";
    });
  }

  // The snippet is HTML (escaped text, matches in <mark>); copy only text and <mark>, never markup we did not expect.
  function appendSnippet(target, html) {
    var parsed = new DOMParser().parseFromString(html || "", "text/html");
    parsed.body.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        target.appendChild(mark);
      } else {
        target.appendChild(document.createTextNode(node.textContent));
      }
    });
  }

  function setUp(panel, index) {
    var url = panel.getAttribute("data-assist-url");
    var articleUrl = panel.getAttribute("data-assist-article-url");
    var list = panel.querySelector("[data-assist-list]");
    var empty = panel.querySelector("[data-assist-empty]");
    var template = panel.querySelector("template[data-assist-item]");
    var checked = idList(panel.getAttribute("data-assist-checked"));
    var linked = idList(panel.getAttribute("data-assist-linked"));
    var source = document.getElementById(panel.getAttribute("data-assist-source") || "");
    var lastText = null;
    var controller = null;
    var timer = null;
    if (!url || !list || !template) {
      return;
    }
    panel.hidden = false;

    function build(suggestion) {
      var id = String(suggestion.id);
      var item = template.content.firstElementChild.cloneNode(true);
      item.setAttribute("data-assist-entry", id);
      var link = item.querySelector("[data-assist-link]");
      link.href = articleUrl.replace("__id__", encodeURIComponent(id));
      link.textContent = suggestion.title;
      appendSnippet(item.querySelector("[data-assist-snippet]"), suggestion.snippet);
      var value = item.querySelector("[data-assist-value]");
      value.value = id;
      if (value.type === "checkbox") {
        value.id = "assist-" + index + "-" + id;
        var label = item.querySelector("label");
        if (label) {
          label.htmlFor = value.id;
        }
        value.checked = checked.indexOf(id) >= 0;
      }
      if (linked.indexOf(id) >= 0) {
        item.querySelector("[data-assist-linked-badge]").hidden = false;
        var action = item.querySelector("[data-assist-action]");
        action.hidden = true;
        value.disabled = true;
      }
      return item;
    }

    function render(suggestions) {
      // Articles the agent already ticked stay listed (and ticked) while the description changes.
      var kept = [];
      list.querySelectorAll("[data-assist-entry]").forEach(function (item) {
        var box = item.querySelector("input[type=checkbox]");
        if (box && box.checked) {
          kept.push(item);
        }
      });
      list.textContent = "";
      var shown = {};
      kept.forEach(function (item) {
        list.appendChild(item);
        shown[item.getAttribute("data-assist-entry")] = true;
      });
      suggestions.forEach(function (suggestion) {
        if (!shown[String(suggestion.id)]) {
          list.appendChild(build(suggestion));
        }
      });
      if (empty) {
        empty.hidden = list.children.length > 0 || lastText === null || lastText.length < MIN_CHARS;
      }
      // The ticks the server sent back (after a refused save) apply once; from now on the boxes themselves count.
      checked = [];
    }

    function ask(text) {
      text = (text || "").trim().slice(0, MAX_CHARS);
      if (text === lastText) {
        return;
      }
      lastText = text;
      if (controller) {
        controller.abort();
      }
      if (text.length < MIN_CHARS) {
        render([]);
        return;
      }
      controller = new AbortController();
      var params = new URLSearchParams({ text: text, limit: String(SUGGESTIONS) });
      fetch(url + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller.signal,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("assist " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          render(data.suggestions || []);
        })
        .catch(function () {
          // Suggestions are a help, not part of the record: a failed or superseded search just shows nothing new.
        });
    }

    if (source) {
      source.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          ask(source.value);
        }, DEBOUNCE_MS);
      });
      ask(source.value);
    } else {
      ask(panel.getAttribute("data-assist-text"));
    }
  }

  document.querySelectorAll("[data-assist]").forEach(setUp);
})();
