// A long chapter, kept cheap for a phone.
//
// 1. Formulas are drawn when the reader comes near. Beyond the first screen,
//    hooks/katex.py ships each formula's KaTeX drawing in a <template>: parsed, but
//    not styled or laid out, which on a chapter is half of all the work the browser
//    does at load. Until it is put in place the browser draws the formula's MathML
//    (extra.css), and a screen reader reads that MathML either way. A page block is
//    drawn one screen before it scrolls into view, and every formula at once before
//    printing.
//
// 2. A display formula or a code block wider than the screen scrolls sideways: exactly
//    those are made reachable from the keyboard (WCAG 2.1.1), the others stay out of
//    the tab order. (The theme does this for a code block only once it is on screen,
//    since it sets up code blocks lazily: content.lazy in mkdocs.yml.) Measuring a
//    block the browser has not laid out would force it to lay out that part of the
//    page (extra.css lets it skip off-screen blocks): on a phone that is a long task.
//    So a block is measured when a ResizeObserver reports it laid out anyway: on load
//    for what is on screen, on scrolling for the rest (half a screen ahead), again
//    when its width changes or a formula's drawing arrives. When every one has been
//    measured in its final form, <html> gets data-scrollers-checked (the browser
//    test waits for it).
(() => {
  const root = document.documentElement;

  // ---- 1. drawing the formulas near the reader --------------------------------
  const draw = (formula) => {
    const template = formula.querySelector(":scope > seqnotes-visual > template");
    if (template) template.replaceWith(template.content);
    formula.classList.remove("seqnotes-lazy");
    // The drawing may keep the formula's box the same size but change what overflows
    // it, which a ResizeObserver would not report: measure it again.
    const display = formula.closest(".katex-display");
    if (display) {
      sizes.unobserve(display);
      sizes.observe(display);
    }
  };
  // Watch the page's top-level blocks, not each formula: the blocks always have a
  // size, while a formula inside a block the browser skips has none yet.
  const blockOf = (el) => el.closest(".md-content__inner > *") || el;
  const waiting = new Map(); // block -> its formulas not drawn yet
  document.querySelectorAll(".katex.seqnotes-lazy").forEach((formula) => {
    const block = blockOf(formula);
    if (!waiting.has(block)) waiting.set(block, []);
    waiting.get(block).push(formula);
  });
  // A few formulas per frame: each frame lays out only what it drew, so none of them
  // keeps the page from answering a tap for long.
  const queue = [];
  const drawSome = () => {
    queue.splice(0, 2).forEach(draw);
    if (queue.length) requestAnimationFrame(drawSome);
  };
  const near = new IntersectionObserver(
    (entries) => {
      const idle = !queue.length;
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        near.unobserve(entry.target);
        queue.push(...(waiting.get(entry.target) || []));
        waiting.delete(entry.target);
      }
      if (idle && queue.length) drawSome();
    },
    { rootMargin: "100% 0px" },
  );
  // Nothing below the first screen is needed while the page starts: begin watching
  // once the theme has started (overrides/main.html says when) and the browser is
  // idle, or at once if the reader scrolls before that.
  let watching = false;
  const watch = () => {
    if (watching) return;
    watching = true;
    waiting.forEach((_, block) => near.observe(block));
  };
  const whenIdle = () =>
    window.requestIdleCallback ? requestIdleCallback(watch, { timeout: 2000 }) : setTimeout(watch);
  addEventListener("scroll", watch, { once: true, passive: true });
  document.addEventListener("seqnotes:theme-started", whenIdle, { once: true });
  setTimeout(watch, 6000); // in case the theme's script never arrives
  const drawAll = () => {
    queue.splice(0).forEach(draw);
    waiting.forEach((formulas) => formulas.forEach(draw));
    waiting.clear();
    near.disconnect();
  };
  addEventListener("beforeprint", drawAll);

  // ---- 2. keyboard access to what scrolls sideways ----------------------------
  const scrollers = document.querySelectorAll(".md-typeset :is(.katex-display, pre > code)");
  const measured = new WeakSet();
  let left = scrollers.length;
  // The theme's rule for code: focusable where a mouse could scroll it instead.
  const hover = matchMedia("(hover)").matches;
  const mark = (el, scrolls) => {
    const formula = el.classList.contains("katex-display");
    if (scrolls && (formula || hover)) {
      el.tabIndex = 0;
      if (formula) {
        el.setAttribute("role", "region");
        const tex = el.querySelector("annotation");
        el.setAttribute("aria-label", tex ? tex.textContent : "formula");
      }
    } else if (el.hasAttribute("tabindex")) {
      el.removeAttribute("tabindex");
      el.removeAttribute("role");
      el.removeAttribute("aria-label");
    }
  };
  const finished = () => {
    if (left === 0) root.dataset.scrollersChecked = "";
  };
  const hiddenIn = (el) => {
    if (el.closest("details:not([open])")) return true;
    const tab = el.closest(".tabbed-block");
    if (!tab) return false;
    const k = [...tab.parentElement.children].indexOf(tab);
    const input = tab.closest(".tabbed-set").querySelectorAll(":scope > input")[k];
    return !(input && input.checked);
  };
  const sizes = new ResizeObserver((entries) => {
    // Layout is up to date here, so reading sizes is free; but changing an attribute
    // would make the next read lay the page out again: read all first, then write.
    const laidOut = entries.filter((e) => e.contentRect.width > 0).map((e) => e.target);
    const scrolls = laidOut.map((el) => el.scrollWidth > el.clientWidth + 1);
    // Not shown at all (in a tab not chosen, in a closed solution): nothing to do
    // until it is, and then the observer reports it again. A block the browser skips
    // for now also has no size but is not hidden. Asking the browser (checkVisibility)
    // would make it style each skipped block: read the page's structure instead.
    const hidden = entries.filter((e) => !e.contentRect.width && hiddenIn(e.target));
    const done = (el) => {
      if (!measured.has(el) && !el.querySelector(".seqnotes-lazy")) {
        measured.add(el);
        left -= 1;
      }
    };
    laidOut.forEach((el, k) => {
      mark(el, scrolls[k]);
      done(el);
    });
    hidden.forEach((e) => done(e.target));
    finished();
  });
  scrollers.forEach((el) => sizes.observe(el));
  finished();
})();
