// A display formula wider than the screen scrolls sideways: make exactly those
// reachable from the keyboard (WCAG 2.1.1), and keep the others out of the tab
// order. Measuring a formula the browser has not laid out yet would force it to
// lay out that part of the page (the site lets it skip off-screen blocks, see
// content-visibility in extra.css): on a phone that was a long task. So each
// formula is measured when the browser has laid it out anyway, which a ResizeObserver
// reports (on load for what is on screen, on scrolling for the rest, again when
// the width changes). When every formula has been measured once, <html> gets
// data-formulas-checked (the browser test, which shows every block, waits for it).
(() => {
  const root = document.documentElement;
  const formulas = document.querySelectorAll(".md-typeset .katex-display");
  const measured = new WeakSet();
  let left = formulas.length;
  const mark = (el, scrolls) => {
    if (scrolls) {
      el.tabIndex = 0;
      el.setAttribute("role", "region");
      const tex = el.querySelector("annotation");
      el.setAttribute("aria-label", tex ? tex.textContent : "formula");
    } else if (el.hasAttribute("tabindex")) {
      el.removeAttribute("tabindex");
      el.removeAttribute("role");
      el.removeAttribute("aria-label");
    }
  };
  const finished = () => {
    if (left === 0) root.dataset.formulasChecked = "";
  };
  const observer = new ResizeObserver((entries) => {
    // Layout is up to date here, so reading sizes is free; but changing an attribute
    // would make the next read lay the page out again: read all first, then write.
    const laidOut = entries.filter((e) => e.contentRect.width > 0).map((e) => e.target);
    const scrolls = laidOut.map((el) => el.scrollWidth > el.clientWidth + 1);
    laidOut.forEach((el, k) => {
      mark(el, scrolls[k]);
      if (!measured.has(el)) {
        measured.add(el);
        left -= 1;
      }
    });
    finished();
  });
  formulas.forEach((el) => observer.observe(el));
  finished();
})();
