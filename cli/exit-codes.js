'use strict'

/**
 * The exit status of `upload-task`: this table is the only owner of the mapping from an outcome,
 * and from each `code` of a failed upload (the values of the library's `ErrorCode`, which are
 * the code strings themselves), to a number. The numbers are curl's wherever the meaning is the
 * same (`curl` says what curl means by the number). `--help` prints the table, docs/CLI.md shows
 * it beside curl's meanings, and __test__/cli.test.js checks that every `ErrorCode` value is in
 * exactly one row and that docs/CLI.md matches.
 */

/**
 * One family of outcomes.
 * @typedef {object} ExitFamily
 * @property {number} status    the process exit status
 * @property {string} key       the name the code uses for it (`ok`, `usage`, `fail`, …)
 * @property {string} meaning   one line, for `--help`
 * @property {string} curl      what curl means by the same number
 * @property {string[]} codes   the `ErrorCode` values that end the process with it
 */

/** @type {ExitFamily[]} */
const EXIT_FAMILIES = [
  {
    status: 0,
    key: 'ok',
    meaning: 'a response arrived, whatever its status (unless --fail)',
    curl: 'success',
    codes: [],
  },
  {
    status: 1,
    key: 'internal',
    meaning: 'an unexpected error (a bug, or a code this CLI does not know)',
    curl: 'unsupported protocol',
    codes: ['ERR_INTERNAL'],
  },
  {
    status: 2,
    key: 'usage',
    meaning: 'usage error: an unknown or unsupported option, a missing or malformed argument, a bad URL or header',
    curl: 'failed to initialize (curl uses it for an unknown option too)',
    codes: ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_CHAR'],
  },
  {
    status: 6,
    key: 'resolve',
    meaning: 'the host name did not resolve',
    curl: "couldn't resolve host",
    codes: ['ENOTFOUND'],
  },
  {
    status: 7,
    key: 'connect',
    meaning: 'the connection was refused',
    curl: 'failed to connect to host',
    codes: ['ECONNREFUSED'],
  },
  {
    status: 22,
    key: 'fail',
    meaning: '--fail and a response status of 400 or more',
    curl: 'HTTP page not retrieved (-f/--fail)',
    codes: [],
  },
  {
    status: 23,
    key: 'write',
    meaning: 'the --output file could not be written',
    curl: 'write error',
    codes: [],
  },
  {
    status: 26,
    key: 'file',
    meaning: 'the file to send cannot be read, is not a regular file, or changed while being sent',
    curl: 'read error (a missing -F @file included)',
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
    status: 28,
    key: 'timeout',
    meaning: 'the -m/--max-time (--timeout) deadline, --idle-timeout or --connect-timeout passed',
    curl: 'operation timeout',
    codes: ['ETIMEDOUT'],
  },
  {
    status: 35,
    key: 'handshake',
    meaning: 'the TLS handshake failed for another reason than the certificate (an alert, bytes that are not TLS)',
    curl: 'SSL connect error (the TLS handshake failed)',
    codes: ['ERR_TLS_HANDSHAKE'],
  },
  {
    status: 47,
    key: 'redirect',
    meaning: 'a redirect not followed: one more than --max-redirs, or from https: to http:',
    curl: 'too many redirects',
    codes: ['ERR_TOO_MANY_REDIRECTS', 'ERR_INSECURE_REDIRECT'],
  },
  {
    status: 56,
    key: 'network',
    meaning: 'the connection broke (reset or closed), the proxy refused the tunnel, any other network failure',
    curl: 'failure in receiving network data',
    codes: ['ECONNRESET', 'EPIPE', 'ERR_PROXY', 'ERR_NETWORK'],
  },
  {
    status: 60,
    key: 'certificate',
    meaning: "the server's TLS certificate was rejected",
    curl: 'peer certificate cannot be authenticated',
    codes: ['ERR_TLS_CERT_INVALID'],
  },
  {
    status: 63,
    key: 'too-large',
    meaning: "the response was larger than --max-filesize (the library's maxResponseBytes)",
    curl: 'maximum file size exceeded',
    codes: ['ERR_RESPONSE_TOO_LARGE'],
  },
  {
    status: 97,
    key: 'socks',
    meaning: 'the SOCKS proxy of -x socks…:// or --socks5… did not open the connection (ERR_PROXY through it)',
    curl: 'proxy handshake error',
    codes: [],
  },
  {
    status: 130,
    key: 'abort',
    meaning: 'interrupted by Ctrl-C (SIGINT): the upload was aborted',
    curl: '(none: curl dies of the signal, which shells report as 130)',
    codes: ['ABORT_ERR'],
  },
]

/** The exit status of the family named `key` (`'usage'`, `'fail'`, …). */
function exitStatus(key) {
  const family = EXIT_FAMILIES.find((f) => f.key === key)
  if (!family) throw new Error(`no exit family ${key}`)
  return family.status
}

/**
 * The exit status for a failed upload's `code`; `internal` (1) for a code not in the table.
 * @param {string} code
 */
function exitStatusForCode(code) {
  const family = EXIT_FAMILIES.find((f) => f.codes.includes(code))
  return family ? family.status : exitStatus('internal')
}

module.exports = { EXIT_FAMILIES, exitStatus, exitStatusForCode }
