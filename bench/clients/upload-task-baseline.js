'use strict'

// upload-task as built in another checkout (`node bench/run.js --baseline=DIR`, which sets
// BENCH_BASELINE): the runner of clients/upload-task.js with that checkout's package, so that two
// builds are measured side by side in one run.
const path = require('node:path')
const { runner } = require('./upload-task.js')

const dir = process.env.BENCH_BASELINE
if (!dir) throw new Error('BENCH_BASELINE is not set: run with --baseline=DIR')
runner('upload-task-baseline', require(path.resolve(dir)).uploadFile)
