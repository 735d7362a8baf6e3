// Instant results for the help center's search box: asks /api/v1/search at each pause in typing and shows the
// results in place. Without this script the form submits normally and the server renders the same list.
(function () {
  "use strict";
  var form = document.querySelector("[data-help-search]");
  var results = document.querySelector("[data-help-results]");
  if (!form || !results || !window.fetch) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var selects = form.querySelectorAll("select");
  // Milliseconds of quiet typing before a search is sent; each search is counted, so not every keystroke.
  var DEBOUNCE_MS = 350;
  // Shorter queries wait for Enter: one Latin letter matches nearly everything.
  var MIN_CHARS = 2;
  var timer = null;
  var latest = 0;

  function text(name) {
    return form.getAttribute("data-text-" + name) || "";
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined) {
      node.textContent = content;
    }
    return node;
  }

  // The address of the server-rendered page for this query, without empty fields (?q=…&category=&lang=).
  function pageUrl(query) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name === "q") {
        value = query;
      }
      if (value) {
        params.set(name, value);
      }
    });
    var search = params.toString();
    return form.getAttribute("data-help-url") + (search ? "?" + search : "");
  }

  // Keep the address bar, and the language switch's way back, on what is shown: a reload, a shared link or a
  // change of language then gives the same results.
  function showAddress(url) {
    window.history.replaceState(null, "", url);
    document.querySelectorAll("form input[type=hidden][name=next]").forEach(function (next) {
      next.value = url;
    });
  }

  function render(query, data) {
    results.replaceChildren();
    if (data.did_you_mean) {
      var hint = element("p", "", text("did-you-mean") + " ");
      var link = element("a", "", data.did_you_mean);
      link.href = pageUrl(data.did_you_mean);
      hint.appendChild(link);
      results.appendChild(hint);
    }
    if (!data.results.length) {
      results.appendChild(element("p", "", text("none")));
    } else {
      var list = element("ol", "list-unstyled help-results");
      data.results.forEach(function (hit) {
        var item = element("li", "mb-3");
        var title = element("a", "fw-semibold", hit.title);
        title.href = form.getAttribute("data-article-url").replace("__id__", String(hit.id));
        item.appendChild(title);
        var snippet = element("div", "small help-snippet");
        // The server escapes the article text and adds only <mark> around the query's words.
        snippet.innerHTML = hit.snippet;
        item.appendChild(snippet);
        list.appendChild(item);
      });
      results.appendChild(list);
    }
    var contact = element("a", "btn btn-outline-secondary btn-sm", text("contact"));
    contact.href = form.getAttribute("data-contact-url") + "?q=" + encodeURIComponent(query);
    var wrapper = element("p");
    wrapper.appendChild(contact);
    results.appendChild(wrapper);
  }

  function search() {
    var query = input.value.trim();
    if (!query) {
      // The question was cleared: drop the results of the old one instead of leaving them under an empty box.
      ++latest;
      results.replaceChildren();
      showAddress(pageUrl(""));
      return;
    }
    if (query.length < MIN_CHARS) {
      return;
    }
    var params = new URLSearchParams();
    params.set("q", query);
    selects.forEach(function (select) {
      if (select.value) {
        params.set(select.name, select.value);
      }
    });
    var ticket = ++latest;
    fetch(form.getAttribute("data-api") + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        if (ticket !== latest) {
          return; // an answer to an older query arrived late
        }
        render(query, data);
        showAddress(pageUrl(query));
      })
      .catch(function () {
        if (ticket === latest) {
          results.replaceChildren(element("p", "text-danger", text("error")));
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, DEBOUNCE_MS);
  }

  // "Results appear as you type" is true only with this script.
  var hint = form.querySelector("[data-instant-hint]");
  if (hint) {
    hint.hidden = false;
    input.setAttribute("aria-describedby", hint.id);
  }
  input.addEventListener("input", schedule);
  selects.forEach(function (select) {
    select.addEventListener("change", schedule);
  });
})();
