// bookmaker preview: follow the project's edits without reloading the page.
//
// The server sends an "update" event carrying the site's version whenever the
// project was built again.  This script fetches the same page, swaps <body>
// for the new one and puts the reader back where they were.  While the
// project is broken the page shows the errors; the place in the book is kept
// and restored when the book comes back.
(function () {
  "use strict";
  let version = document.body.dataset.version;
  let bookScroll = null;        // the reader's place in the book while errors are shown
  let queue = Promise.resolve(); // updates one at a time, in order

  function status(text, state) {
    const el = document.getElementById("status");
    if (el) {
      el.textContent = text;
      el.dataset.state = state;
    }
  }

  async function update(next) {
    if (next === version) return;
    status("Updating…", "busy");
    let response;
    try {
      response = await fetch(location.pathname, { cache: "no-store" });
    } catch (err) {
      status("Cannot reach bookmaker preview", "down");
      return;
    }
    if (response.status === 404) {   // this part left the book: go to the title page
      location.assign("/");
      return;
    }
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const wasBroken = document.body.classList.contains("broken");
    const nowBroken = doc.body.classList.contains("broken");
    const y = window.scrollY;
    if (nowBroken && !wasBroken) bookScroll = y;
    const css = doc.getElementById("book-css");
    const mine = document.getElementById("book-css");
    if (css && mine && css.getAttribute("href") !== mine.getAttribute("href")) {
      mine.setAttribute("href", css.getAttribute("href"));
    }
    document.title = doc.title;
    document.documentElement.lang = doc.documentElement.lang;
    document.body.replaceWith(document.adoptNode(doc.body));
    version = document.body.dataset.version;
    if (!nowBroken && bookScroll !== null) {
      window.scrollTo(0, bookScroll);
      bookScroll = null;
    } else {
      window.scrollTo(0, nowBroken ? 0 : y);
    }
  }

  const events = new EventSource("/_preview/events");
  events.addEventListener("update", function (event) {
    queue = queue.then(function () { return update(event.data); });
  });
  events.addEventListener("open", function () {
    status("Live: follows your edits", "live");
  });
  events.addEventListener("error", function () {
    // EventSource reconnects by itself; say so while it tries.
    status("Disconnected: is bookmaker preview still running?", "down");
  });
})();
