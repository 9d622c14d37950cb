// MathJax 2 for the site, served from the site itself (jupyter-server-mathjax's copy):
// the notebooks' $...$ and the Markdown pages' \(...\) render without any network.
window.MathJax = {
  tex2jax: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  // jupyter-server-mathjax ships the STIX web fonts only.
  "HTML-CSS": { availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null },
  SVG: { font: "STIX-Web" },
  showMathMenu: false,
  messageStyle: "none",
};
