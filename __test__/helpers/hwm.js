'use strict'

const fs = require('node:fs')

/** This process's peak resident set size in bytes (the kernel's VmHWM); `NaN` off Linux. */
function vmHWM() {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    return match ? Number(match[1]) * 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

module.exports = { vmHWM }
