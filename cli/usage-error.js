'use strict'

/** A mistake on the command line: exit status 2, with the usage line (cli/usage.js). */
class UsageError extends Error {}

module.exports = { UsageError }
