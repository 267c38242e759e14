'use strict'

/**
 * The exit status of `upload-task`: this table is the only owner of the mapping from an outcome,
 * and from each `code` of a failed upload (the values of the library's `ErrorCode`, which are
 * the code strings themselves), to a number. `--help` prints it, docs/CLI.md describes it, and
 * __test__/cli.test.js checks that every `ErrorCode` value is in exactly one row and that
 * docs/CLI.md matches.
 */

/**
 * One family of outcomes.
 * @typedef {object} ExitFamily
 * @property {number} status    the process exit status
 * @property {string} key       the name the code uses for it (`ok`, `usage`, `fail`, …)
 * @property {string} meaning   one line, for `--help`
 * @property {string[]} codes   the `ErrorCode` values that end the process with it
 */

/** @type {ExitFamily[]} */
const EXIT_FAMILIES = [
  { status: 0, key: 'ok', meaning: 'a response arrived, whatever its status (unless --fail)', codes: [] },
  {
    status: 1,
    key: 'internal',
    meaning: 'an unexpected error (a bug, or a code this CLI does not know)',
    codes: ['ERR_INTERNAL'],
  },
  {
    status: 2,
    key: 'usage',
    meaning: 'usage error: an unknown option, a missing or malformed argument, a bad URL or header',
    codes: ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE'],
  },
  {
    status: 3,
    key: 'file',
    meaning: 'the file cannot be read, is not a regular file, or changed while being sent',
    codes: [
      'ENOENT',
      'EACCES',
      'EISDIR',
      'ENOTDIR',
      'ELOOP',
      'ENAMETOOLONG',
      'ERR_NOT_REGULAR_FILE',
      'ERR_FILE_SIZE_UNKNOWN',
      'ERR_FILE_CHANGED',
    ],
  },
  {
    status: 4,
    key: 'network',
    meaning: 'network failure: refused, unresolved, reset or closed connection, a proxy that refused the tunnel',
    codes: ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EPIPE', 'ERR_PROXY', 'ERR_NETWORK'],
  },
  { status: 5, key: 'tls', meaning: "the server's TLS certificate was rejected", codes: ['ERR_TLS_CERT_INVALID'] },
  { status: 6, key: 'timeout', meaning: 'the --timeout deadline passed', codes: ['ETIMEDOUT'] },
  {
    status: 7,
    key: 'response',
    meaning: 'the file was sent, but the response was refused (larger than the limit, or a redirect not followed)',
    codes: ['ERR_RESPONSE_TOO_LARGE', 'ERR_TOO_MANY_REDIRECTS', 'ERR_INSECURE_REDIRECT'],
  },
  { status: 22, key: 'fail', meaning: "--fail and a response status of 400 or more (as curl's)", codes: [] },
  {
    status: 130,
    key: 'abort',
    meaning: 'interrupted by Ctrl-C (SIGINT): the upload was aborted',
    codes: ['ABORT_ERR'],
  },
]

/** The exit status of the family named `key` (`'usage'`, `'fail'`, …). */
function exitStatus(key) {
  const family = EXIT_FAMILIES.find((f) => f.key === key)
  if (!family) throw new Error(`no exit family ${key}`)
  return family.status
}

/** The exit status for a failed upload's `code`; `internal` (1) for a code not in the table. */
function exitStatusForCode(code) {
  const family = EXIT_FAMILIES.find((f) => f.codes.includes(code))
  return family ? family.status : exitStatus('internal')
}

module.exports = { EXIT_FAMILIES, exitStatus, exitStatusForCode }
