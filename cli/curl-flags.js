'use strict'

/**
 * curl's common options that upload-task does not have, each with one line saying why and what
 * to type instead. An option given here ends the command with a usage error naming it; any
 * other unknown option gets the plain "unknown option" error. docs/CLI.md lists the table.
 */

/**
 * @typedef {object} CurlOnlyFlag
 * @property {string[]} flags   the spellings, short first (`-d`, `--data`)
 * @property {string} why       what to do instead
 */

/** @type {CurlOnlyFlag[]} */
const CURL_ONLY_FLAGS = [
  {
    flags: ['-d', '--data', '--data-binary', '--data-raw', '--data-urlencode', '--data-ascii'],
    why: 'it sends multipart/form-data only: use -F name=value for a text field',
  },
  {
    flags: ['-T', '--upload-file'],
    why: 'it does not PUT a raw body, it POSTs the file as multipart/form-data: -F file=@path',
  },
  { flags: ['-G', '--get', '-I', '--head'], why: 'it sends POST only' },
  {
    flags: ['-u', '--user'],
    why: "put the credentials in the URL (https://user:password@host/) or give -H 'Authorization: Basic …'",
  },
  {
    flags: ['-A', '--user-agent', '-e', '--referer'],
    why: "give it as a header: -H 'User-Agent: …' / -H 'Referer: …'",
  },
  {
    flags: ['-k', '--insecure'],
    why: "certificates are always verified: trust the server's CA with --cacert <file>",
  },
  {
    flags: ['-b', '--cookie', '-c', '--cookie-jar'],
    why: "there is no cookie engine: send a cookie with -H 'Cookie: …'; --json shows the response's cookies",
  },
  { flags: ['-O', '--remote-name', '-J', '--remote-header-name'], why: 'name the output file with -o <file>' },
  { flags: ['-i', '--include'], why: 'see the response head with -v, or the whole result with --json' },
  { flags: ['-K', '--config'], why: 'it reads no config file' },
]

/** The table row of `flag` (`-d`, `--data`), if curl has it and upload-task does not. */
function curlOnlyFlag(flag) {
  return CURL_ONLY_FLAGS.find((row) => row.flags.includes(flag))
}

module.exports = { CURL_ONLY_FLAGS, curlOnlyFlag }
