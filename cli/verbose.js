'use strict'

/**
 * `-v/--verbose`: the request head as the command hands it to the library, and the response
 * head, on stderr, prefixed as curl's (`> `, `< `). docs/CLI.md says what they hold.
 */

/**
 * The request head: `> POST <path and query>`, `> Host: <host>`, then each `-H` header as handed
 * to the library, then `>`.
 */
function requestHead({ url, header }) {
  let head = [`POST ${url}`]
  try {
    const parsed = new URL(url)
    head = [`POST ${parsed.pathname}${parsed.search}`, `Host: ${parsed.host}`]
  } catch {
    // An unparsable URL is the library's to refuse; it is shown as given.
  }
  const lines = [...head, ...Object.entries(header).map(([name, value]) => `${name}: ${value}`), '']
  return lines.map((line) => `> ${line}`.trimEnd()).join('\n')
}

/** The response head: `< <status>` (when known), each header as the library gives it, then `<`. */
function responseHead(statusCode, header) {
  const lines = statusCode === undefined ? [] : [String(statusCode)]
  for (const [name, value] of Object.entries(header)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`)
  }
  lines.push('')
  return lines.map((line) => `< ${line}`.trimEnd()).join('\n')
}

module.exports = { requestHead, responseHead }
