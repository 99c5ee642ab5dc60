// Run by TestLoadHTMLInABrowser inside headless Chromium, after layout:
// measures what a person sees and writes it, as JSON, into
// a pre element of id acsharness-check, which --dump-dom prints.
(function () {
  function rgba(s) { var m = s.match(/[\d.]+/g).map(Number); if (m.length < 4) m.push(1); return m; }
  function lum(c) {
    var a = [c[0], c[1], c[2]].map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
  }
  // WCAG 2 contrast ratio of a colour over its background.
  function contrast(fg, bg) { var l1 = lum(fg), l2 = lum(bg); return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05); }
  function textBox(el) {
    var r = document.createRange(); r.selectNodeContents(el);
    var b = r.getBoundingClientRect();
    if (b.width > 0) return { l: b.left, r: b.right, text: true };
    b = el.getBoundingClientRect();
    return { l: b.left, r: b.right, text: false };
  }
  var out = { banner: [], misplaced: [], rows: [], cells: 0 };
  var banner = document.querySelector('header.banner');
  var bg = rgba(getComputedStyle(banner).backgroundColor);
  banner.querySelectorAll('h1, p').forEach(function (el) {
    var cs = getComputedStyle(el), fg = rgba(cs.color), a = fg[3] * parseFloat(cs.opacity);
    var seen = [0, 1, 2].map(function (i) { return fg[i] * a + bg[i] * (1 - a); });
    out.banner.push({ tag: el.tagName, text: el.textContent.slice(0, 60), contrast: contrast(seen, bg) });
  });
  document.querySelectorAll('main table').forEach(function (tab) {
    var heads = [].slice.call(tab.querySelectorAll('thead th')).map(textBox);
    tab.querySelectorAll('tbody tr').forEach(function (tr, ri) {
      var cells = [].slice.call(tr.children);
      if (cells.length !== heads.length) out.rows.push({ table: tab.id, row: ri, cells: cells.length, headers: heads.length });
      cells.forEach(function (td, ci) {
        var b = textBox(td);
        if (!b.text) return;
        out.cells++;
        // The header a reader takes the cell for: the one whose text (or,
        // for an empty header, whose cell) it overlaps most.
        var best = -1, bestOv = -Infinity;
        heads.forEach(function (h, hi) {
          var ov = Math.min(b.r, h.r) - Math.max(b.l, h.l);
          if (ov > bestOv) { bestOv = ov; best = hi; }
        });
        if (best !== ci || bestOv <= 0) {
          out.misplaced.push({ table: tab.id, row: ri, col: ci, text: td.textContent.slice(0, 40), under: best, overlap: bestOv });
        }
      });
    });
  });
  var pre = document.createElement('pre');
  pre.id = 'acsharness-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
