// Typeset formulas with the site's own MathJax in Node.js and report the ones it cannot render.
//
//   node tests/site_tex_check.js MATHJAX_FOLDER < formulas.json
//
// MATHJAX_FOLDER: the MathJax browser files the site serves (course_site.mathjax_source()).
// formulas.json: [{"tex": "...", "display": true|false}, ...]. Prints a JSON list with one
// {"tex", "error"} per formula that fails, [] when all render; exit status 2 when MathJax itself
// does not start. The TeX input is the one the site's page script (tex-chtml.js) bundles, with its
// packages and autoloaded extensions (\cancel, \boldsymbol, ...), but stricter than a page: an
// undefined macro such as \foo is an error here, where the page would print it in red, and every
// parse error (a missing brace, a misplaced &) is thrown instead of drawn in the formula.
"use strict";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: node tests/site_tex_check.js MATHJAX_FOLDER < formulas.json");
  process.exit(2);
}

global.MathJax = {
  loader: {paths: {mathjax: folder}, load: ["input/tex", "adaptors/liteDOM"], require: require},
  tex: {
    packages: {"[-]": ["noundefined"]},
    formatError: (jax, err) => { throw err; },
  },
  startup: {typeset: false},
};

// Until every formula has been checked, a MathJax that stops early (it may print its error and
// return) must not look like "no error".
process.exitCode = 2;
const input = require("fs").readFileSync(0, "utf-8");
const formulas = JSON.parse(input);

require(folder + "/startup.js");
MathJax.startup.promise.then(async () => {
  const failed = [];
  for (const {tex, display} of formulas) {
    try {
      await MathJax.tex2mmlPromise(tex, {display: Boolean(display)});
    } catch (err) {
      failed.push({tex: tex, error: String(err && err.message || err)});
    }
  }
  process.stdout.write(JSON.stringify(failed) + "\n");
  process.exitCode = 0;
}).catch((err) => {
  console.error("MathJax did not start: " + (err && err.stack || err));
  process.exit(2);
});
