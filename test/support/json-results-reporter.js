// Writes jest's aggregated results (the shape `jest --json` prints) to PASSO_JEST_JSON, so CI can
// count tests from data instead of parsing the human summary, while still running plain `npm test`.
const { writeFileSync } = require('node:fs');

class JsonResultsReporter {
  constructor(_globalConfig, options) {
    this.outputFile = options.outputFile;
  }

  onRunComplete(_contexts, results) {
    writeFileSync(this.outputFile, JSON.stringify(results));
  }
}

module.exports = JsonResultsReporter;
