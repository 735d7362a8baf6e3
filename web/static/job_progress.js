// Progress of a job started from the page (jobs page, FAQ proposals, rubric): while it is queued or running, ask the
// server every few seconds and update the block; when it ends, offer to reload the page for the result. The page works
// without it (a reload shows the same).
(function () {
  "use strict";
  var POLL_MS = 2000;
  var blocks = document.querySelectorAll("[data-job-activity][data-active='true']");

  function show(element, visible) {
    if (element) {
      element.hidden = !visible;
    }
  }

  function update(block, data) {
    var message = block.querySelector("[data-job-message]");
    if (message) {
      message.textContent = data.message || "";
      show(message, Boolean(data.message));
    }
    var progress = block.querySelector("[data-job-progress]");
    if (progress) {
      if (data.total) {
        progress.max = data.total;
        progress.value = data.done || 0;
        progress.textContent = data.percent === null ? "" : data.percent + " %";
      } else {
        progress.removeAttribute("value"); // indeterminate until the job says how much there is
      }
      show(progress, data.active);
    }
    // A queued request's message says so itself; a running one whose scheduler went silent needs the warning.
    show(block.querySelector("[data-job-no-scheduler]"), data.state === "running" && !data.scheduler_running);
    if (!data.active) {
      block.setAttribute("data-active", "false");
      // Removed, not hidden: the withdraw form's d-inline would override the hidden attribute.
      block.querySelectorAll("form").forEach(function (form) {
        form.remove();
      });
      show(block.querySelector("[data-job-finished]"), true);
    }
  }

  function poll(block) {
    var url = block.getAttribute("data-status-url");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        update(block, data);
        if (data.active) {
          window.setTimeout(function () { poll(block); }, POLL_MS);
        }
      })
      .catch(function () {
        // Signed out, or the server restarting: try again a little later.
        window.setTimeout(function () { poll(block); }, POLL_MS * 5);
      });
  }

  blocks.forEach(function (block) {
    window.setTimeout(function () { poll(block); }, POLL_MS);
  });
})();
