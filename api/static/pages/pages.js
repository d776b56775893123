/* Small enhancements; every page works without them. */
(function () {
  "use strict";

  // The overview's slider chooses the as-of date: show it while sliding, go there on release.
  // Keys move it a day (PageUp/PageDown a month, Home/End to the ends) without leaving the
  // page; Enter goes to the date shown.
  var slider = document.getElementById("as-of-slider");
  if (slider) {
    var byKeys = false;
    var start = new Date(slider.dataset.start + "T00:00:00Z");
    var out = document.getElementById("slider-value");
    var field = document.getElementById("as_of");
    var dayOf = function () {
      var d = new Date(start.getTime() + Number(slider.value) * 86400000);
      return d.toISOString().slice(0, 10);
    };
    slider.addEventListener("input", function () {
      var day = dayOf();
      if (out) { out.textContent = day; }
      if (field) { field.value = day; }
      slider.setAttribute("aria-valuetext", day);
    });
    var go = function () {
      var form = document.getElementById("moment-form");
      if (field) { field.value = dayOf(); }
      if (form) { form.submit(); }
    };
    slider.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); go(); return; }
      byKeys = true;
    });
    slider.addEventListener("pointerdown", function () { byKeys = false; });
    slider.addEventListener("change", function () {
      if (!byKeys) { go(); }
    });
  }

  // Matrix cells: one open at a time; Escape closes it and returns focus to the cell.
  var cells = document.querySelectorAll("details.cell-details");
  cells.forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open) { return; }
      cells.forEach(function (other) { if (other !== details) { other.open = false; } });
      var pop = details.querySelector(".popover");
      if (pop) {
        pop.classList.remove("align-right", "align-up");
        var box = pop.getBoundingClientRect();
        var wrap = details.closest(".matrix-wrap");
        var frame = wrap ? wrap.getBoundingClientRect() : null;
        var right = frame ? frame.right : window.innerWidth;
        var bottom = frame ? Math.min(frame.bottom, window.innerHeight) : window.innerHeight;
        if (box.right > right - 8) { pop.classList.add("align-right"); }
        if (box.bottom > bottom - 8 && box.height < box.top - (frame ? frame.top : 0)) {
          pop.classList.add("align-up");
        }
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("details.cell-details[open]");
    if (open) {
      open.open = false;
      var summary = open.querySelector("summary");
      if (summary) { summary.focus(); }
    }
  });
  document.addEventListener("click", function (event) {
    var open = document.querySelector("details.cell-details[open]");
    if (open && !open.contains(event.target)) { open.open = false; }
  });
})();
