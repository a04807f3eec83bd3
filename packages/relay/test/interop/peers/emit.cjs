'use strict';
// Peers report to the test as JSON lines on stdout.
module.exports = function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
};
