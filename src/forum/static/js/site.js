// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // A link like /t/12#floor-47 opened on the wrong page: ask the server which page holds floor 47.
  function jumpToFloor() {
    var match = /^#floor-(\d+)$/.exec(window.location.hash);
    var topicUrl = document.body.getAttribute("data-topic-url");
    if (!match || !topicUrl || document.getElementById("floor-" + match[1])) return;
    window.location.replace(topicUrl + "/floor/" + match[1]);
  }
  document.addEventListener("DOMContentLoaded", jumpToFloor);
  window.addEventListener("hashchange", jumpToFloor);
  // Clear a toast a few seconds after htmx puts it up.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "toast") {
      setTimeout(function () { event.target.innerHTML = ""; }, 4000);
    }
  });
  // The staff menu is a <details>: close it on a click elsewhere or Escape, as menus do.
  function closeMenus(except) {
    document.querySelectorAll("details.nav-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.nav-menu") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });
})();
