'use strict'

/**
 * The command line of `upload-task [options] -F name=@file <url>` (curl's form) or
 * `upload-task [options] <url> <file>`: one table of options, from which both the `node:util`
 * `parseArgs` configuration and the `--help` lines are made, and the conversion of the parsed
 * values into `uploadFile` options. docs/CLI.md describes them.
 */

const fs = require('node:fs')
const { parseArgs } = require('node:util')
const { curlOnlyFlag } = require('./curl-flags.js')
const { formParts, stdinError } = require('./form.js')
const { UsageError } = require('./usage-error.js')

/**
 * One option of the command line.
 * @typedef {object} OptionSpec
 * @property {string} long          the long name, without `--`
 * @property {string} [short]       the one-letter name, without `-`
 * @property {string} [value]       the placeholder of its value; absent for a flag
 * @property {boolean} [multiple]   may be repeated
 * @property {string} help          one line for `--help`
 */

/** @type {OptionSpec[]} */
const OPTIONS = [
  {
    long: 'form',
    short: 'F',
    value: 'name=value',
    multiple: true,
    help: "a text field; name=@path[;type=…][;filename=…] is the file (as curl's -F)",
  },
  { long: 'form-string', value: 'name=value', multiple: true, help: 'a text field taken literally (@ and < too)' },
  { long: 'header', short: 'H', value: "'Name: value'", multiple: true, help: 'a request header' },
  { long: 'name', short: 'n', value: 'field', help: 'field name of the file of <url> <file> (default: file)' },
  { long: 'file-name', value: 'name', help: 'filename of the file part (default: the basename of the file)' },
  { long: 'output', short: 'o', value: 'file', help: 'write the body (or --json) to <file>, not stdout; - is stdout' },
  { long: 'silent', short: 's', help: 'no progress and no error messages (usage errors still show)' },
  { long: 'show-error', short: 'S', help: 'with -s: still print error messages' },
  { long: 'quiet', short: 'q', help: 'no progress (errors are still reported)' },
  { long: 'verbose', short: 'v', help: 'print the request head (> ) and the response head (< ) on stderr' },
  { long: 'fail', short: 'f', help: 'exit with 22 when the status is 400 or more; write no body' },
  { long: 'json', help: 'print the whole result object as JSON instead of the body' },
  {
    long: 'max-time',
    short: 'm',
    value: 'seconds',
    help: 'deadline of the whole upload, e.g. 30 or 2.5; 0: none (default)',
  },
  { long: 'timeout', value: 'ms', help: 'the same deadline in whole milliseconds; 0: none' },
  {
    long: 'connect-timeout',
    value: 'seconds',
    help: 'fail (28) when a new connection is not set up by then, e.g. 10 or 2.5 (connectTimeout)',
  },
  { long: 'idle-timeout', value: 'ms', help: 'fail when nothing moves for this long (idleTimeout)' },
  { long: 'limit-rate', value: 'bytes/s', help: 'pace the body, e.g. 500K or 2M (maxBytesPerSecond)' },
  {
    long: 'max-filesize',
    value: 'bytes',
    help: "largest response body, e.g. 10M; 0: no limit (maxResponseBytes; default: the library's)",
  },
  { long: 'max-redirs', value: 'n', help: "redirects followed (default: the library's; 0: the 3xx is the result)" },
  { long: 'max-redirects', value: 'n', help: 'the same as --max-redirs' },
  { long: 'location', short: 'L', help: 'accepted for curl: redirects are followed by default' },
  { long: 'request', short: 'X', value: 'method', help: 'accepted for curl with POST only: uploadFile POSTs' },
  { long: 'compressed', help: 'accepted for curl: compressed responses are asked for and decoded by default' },
  {
    long: 'retry',
    value: 'n',
    help: 'send again when refused, reset mid-request (after it, with Idempotency-Key), 429 or 503',
  },
  { long: 'proxy', short: 'x', value: 'url', help: 'proxy for this upload (default: HTTPS_PROXY, HTTP_PROXY, …)' },
  { long: 'socks5', value: 'host[:port]', help: 'SOCKS5 proxy, the host name resolved here (-x socks5://host:port)' },
  {
    long: 'socks5-hostname',
    value: 'host[:port]',
    help: 'SOCKS5 proxy that resolves the host name (-x socks5h://host:port)',
  },
  { long: 'socks4', value: 'host[:port]', help: 'SOCKS4 proxy (-x socks4://host:port)' },
  { long: 'socks4a', value: 'host[:port]', help: 'SOCKS4a proxy (-x socks4a://host:port)' },
  { long: 'proxy-user', value: 'user:password', help: 'credentials for the proxy of -x or --socks5 (in no message)' },
  { long: 'no-proxy', help: 'no proxy, whatever the environment says' },
  { long: 'cacert', value: 'file', help: 'extra trusted root certificates (PEM), added to the system ones' },
  { long: 'http2', help: 'offer HTTP/2 over https: (enableHttp2)' },
  { long: 'http3', help: 'HTTP/3 to https: origins, over TCP when QUIC does not come up (enableQuic)' },
  { long: 'help', short: 'h', help: 'print this help and exit' },
  { long: 'version', short: 'V', help: 'print the version and exit' },
]

/** The `parseArgs` configuration of `OPTIONS`. */
function parseArgsOptions() {
  const config = {}
  for (const spec of OPTIONS) {
    config[spec.long] = {
      type: spec.value ? 'string' : 'boolean',
      ...(spec.short && { short: spec.short }),
      ...(spec.multiple && { multiple: true }),
    }
  }
  return config
}

/**
 * The usage error for the first option of `argv` that is not in `OPTIONS`: curl's options that
 * upload-task lacks say why (cli/curl-flags.js), any other is "unknown".
 */
function unknownOptionError(argv, strictError) {
  const { tokens } = parseArgs({
    args: argv,
    options: parseArgsOptions(),
    allowPositionals: true,
    tokens: true,
    strict: false,
  })
  const known = new Set(OPTIONS.map((spec) => spec.long))
  const token = tokens.find((t) => t.kind === 'option' && !known.has(t.name))
  if (!token) return new UsageError(strictError.message)
  const row = curlOnlyFlag(token.rawName)
  return new UsageError(
    row
      ? `${token.rawName} is a curl option that upload-task does not have: ${row.why}`
      : `unknown option ${token.rawName}`,
  )
}

/** `parseArgs` in strict mode, with tokens; its errors as `UsageError`s. */
function parse(argv) {
  try {
    return parseArgs({ args: argv, options: parseArgsOptions(), allowPositionals: true, tokens: true, strict: true })
  } catch (error) {
    if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw unknownOptionError(argv, error)
    throw new UsageError(error.message)
  }
}

/**
 * One `-H` value as curl reads it: `Name: value` (the value trimmed of surrounding spaces),
 * `Name:` (no value: remove the header) or `Name;` (an empty value).
 * @returns {{ name: string, value: string | null }}   `null`: remove it
 */
function headerItem(item) {
  const at = item.indexOf(':')
  if (at < 0 && item.endsWith(';')) return { name: item.slice(0, -1).trim(), value: '' }
  const name = at < 0 ? '' : item.slice(0, at).trim()
  const value = item.slice(at + 1).trim()
  return { name, value: value === '' ? null : value }
}

/**
 * `-H` values as a `header` object, and the names (lower case) that `-H 'Name:'` removed. Repeats
 * of a name (in any case) are joined with `, `, as HTTP allows (RFC 9110 §5.3); as in curl, a
 * removal takes out no value given to the name by another `-H`.
 */
function headerFields(items) {
  const headers = Object.create(null)
  const byLowerName = new Map()
  const removed = new Set()
  for (const item of items) {
    const { name, value } = headerItem(item)
    if (!name) throw new UsageError(`--header expects 'Name: value', got ${JSON.stringify(item)}`)
    if (value === null) {
      removed.add(name.toLowerCase())
      continue
    }
    const first = byLowerName.get(name.toLowerCase())
    if (first === undefined) {
      byLowerName.set(name.toLowerCase(), name)
      headers[name] = value
    } else {
      headers[first] = `${headers[first]}, ${value}`
    }
  }
  return { headers, removed }
}

/**
 * The `header` option of the `-H` values, and curl's `-H 'Expect:'` (remove `Expect`: send the
 * body at once) as `expectContinue: false`.
 */
function requestHeaders(items) {
  const { headers: header, removed } = headerFields(items)
  const expect = Object.keys(header).find((name) => name.toLowerCase() === 'expect')
  const noExpect = expect === undefined ? removed.has('expect') : header[expect] === ''
  if (!noExpect) return { header }
  if (expect !== undefined) delete header[expect]
  return { header, expectContinue: false }
}

/** The value of `--<flag>` as a whole number; `what` names its unit for the usage error. */
function wholeNumber(flag, text, what) {
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${flag} expects a whole number of ${what}, got ${JSON.stringify(text)}`)
  return Number(text)
}

/** The value of `--<flag>` in seconds (fractions allowed, as curl's), as whole milliseconds. */
function secondsOption(flag, text) {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(text))
    throw new UsageError(`--${flag} expects seconds such as 30 or 2.5, got ${JSON.stringify(text)}`)
  return Math.ceil(Number(text) * 1000)
}

const SIZE_UNITS = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** A size in bytes: a whole number with an optional K, M or G (1024-based, as curl's). */
function sizeOption(flag, text) {
  const match = /^(\d+)([kmg]?)$/i.exec(text)
  if (!match) throw new UsageError(`--${flag} expects bytes such as 500K or 2M, got ${JSON.stringify(text)}`)
  return Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()]
}

/** The value of whichever of two spellings of one option was given; both is a usage error. */
function eitherOf(values, a, b) {
  if (values[a] !== undefined && values[b] !== undefined)
    throw new UsageError(`--${a} and --${b} set the same thing: give one`)
  return values[a] !== undefined
    ? { flag: a, text: values[a] }
    : values[b] !== undefined && { flag: b, text: values[b] }
}

/**
 * `uploadFile`'s `timeout` from `-m/--max-time` (seconds) or `--timeout` (ms): `0` or neither
 * means no deadline (unlike the library's default: an upload may rightly take long).
 */
function deadline(values) {
  const given = eitherOf(values, 'max-time', 'timeout')
  if (!given) return Number.POSITIVE_INFINITY
  const ms =
    given.flag === 'timeout'
      ? wholeNumber('timeout', given.text, 'milliseconds')
      : secondsOption(given.flag, given.text)
  return ms === 0 ? Number.POSITIVE_INFINITY : ms
}

/** `--cacert <file>`: the PEM text of the file (the library checks that it is PEM). */
function caOption(file) {
  try {
    return fs.readFileSync(file, 'latin1')
  } catch (error) {
    throw new UsageError(`--cacert ${JSON.stringify(file)} cannot be read: ${error.message}`)
  }
}

/** curl's SOCKS flags, each a spelling of `-x <scheme>://host:port` (port 1080 when absent). */
const SOCKS_FLAGS = { socks5: 'socks5', 'socks5-hostname': 'socks5h', socks4: 'socks4', socks4a: 'socks4a' }

/**
 * The proxy URL of `-x` or one of `SOCKS_FLAGS` (at most one of them), with `--proxy-user`'s
 * credentials put into it, percent-encoded; `undefined` when none is given.
 */
function proxyUrl(values) {
  const given = ['proxy', ...Object.keys(SOCKS_FLAGS)].filter((flag) => values[flag] !== undefined)
  if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} each name the proxy: give one`)
  if (given.length === 0) {
    if (values['proxy-user'] !== undefined)
      throw new UsageError('--proxy-user needs the proxy it is for: -x <url> or --socks5 <host:port>')
    return undefined
  }
  const flag = given[0]
  const text = flag === 'proxy' ? values.proxy : `${SOCKS_FLAGS[flag]}://${values[flag]}`
  if (values['proxy-user'] === undefined) return text
  let url
  try {
    // Without a scheme the proxy is `http:`, as for curl and the library's `proxy` option.
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    throw new UsageError(`--${flag} is not a proxy URL or host:port`)
  }
  const credentials = values['proxy-user']
  const colon = credentials.indexOf(':')
  url.username = encodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon))
  url.password = colon < 0 ? '' : encodeURIComponent(credentials.slice(colon + 1))
  return url.href
}

/** The `uploadFile` options of the network flags; only those given. */
function networkOptions(values) {
  const proxy = proxyUrl(values)
  if (proxy !== undefined && values['no-proxy']) throw new UsageError('--proxy and --no-proxy exclude each other')
  if (values.request !== undefined && values.request !== 'POST')
    throw new UsageError(`-X/--request ${JSON.stringify(values.request)}: upload-task sends POST only`)
  const given = (flag) => values[flag] !== undefined
  const redirects = eitherOf(values, 'max-redirs', 'max-redirects')
  return {
    ...(given('connect-timeout') && { connectTimeout: secondsOption('connect-timeout', values['connect-timeout']) }),
    ...(given('idle-timeout') && { idleTimeout: wholeNumber('idle-timeout', values['idle-timeout'], 'milliseconds') }),
    ...(given('limit-rate') && { maxBytesPerSecond: sizeOption('limit-rate', values['limit-rate']) }),
    ...(given('max-filesize') && {
      maxResponseBytes: sizeOption('max-filesize', values['max-filesize']) || Number.POSITIVE_INFINITY,
    }),
    ...(redirects && { maxRedirects: wholeNumber(redirects.flag, redirects.text, 'redirects') }),
    ...(given('retry') && { retry: { limit: wholeNumber('retry', values.retry, 'retries') } }),
    ...(proxy !== undefined && { proxy }),
    ...(values['no-proxy'] && { proxy: false }),
    ...(given('cacert') && { ca: caOption(values.cacert) }),
    ...(values.http2 && { enableHttp2: true }),
    ...(values.http3 && { enableQuic: true }),
  }
}

/**
 * The URL and the file part, from the operands and the `-F name=@path` field: with that field
 * the one operand is the URL; without it, the operands are `<url> <file>`.
 * @returns {{ url: string, file: { path: string, name: string, fileName?: string, type?: string } }}
 */
function target(positionals, formFile, values) {
  const extra = (at) => new UsageError(`unexpected argument ${JSON.stringify(positionals[at])}`)
  if (!formFile) {
    if (positionals.length === 0) throw new UsageError('no URL given')
    if (positionals.length === 1) throw new UsageError('no file to send: give -F name=@file, or <url> <file>')
    if (positionals.length > 2) throw extra(2)
    if (positionals[1] === '-') throw stdinError('the file operand -')
    const fileName = values['file-name']
    return { url: positionals[0], file: { path: positionals[1], name: values.name ?? 'file', fileName } }
  }
  if (values.name !== undefined)
    throw new UsageError(`-n/--name names the file of <url> <file>; -F ${JSON.stringify(formFile.given)} names its own`)
  if (values['file-name'] !== undefined && formFile.fileName !== undefined)
    throw new UsageError(
      `--file-name and ;filename= in -F ${JSON.stringify(formFile.given)} set the same thing: give one`,
    )
  if (positionals.length === 0) throw new UsageError('no URL given')
  if (positionals.length > 1) {
    const why = `the file is -F ${JSON.stringify(formFile.given)} and uploadFile sends one file`
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}: ${why}`)
  }
  return { url: positionals[0], file: { ...formFile, fileName: formFile.fileName ?? values['file-name'] } }
}

/** The `-F` and `--form-string` values, in command-line order. */
function formItems(tokens) {
  return tokens
    .filter((t) => t.kind === 'option' && (t.name === 'form' || t.name === 'form-string'))
    .map((t) => ({ literal: t.name === 'form-string', given: t.value }))
}

/**
 * What the command line asks for.
 * @typedef {object} Command
 * @property {'help'|'version'|'upload'} action
 * @property {object} [upload]            the `uploadFile` options (without callbacks)
 * @property {string} [output]            `-o`: where the body goes (absent or `-`: stdout)
 * @property {boolean} fail
 * @property {boolean} json
 * @property {boolean} progress           show the progress (no -s, no -q)
 * @property {boolean} showErrors         print error messages (no -s, or -S)
 * @property {boolean} verbose
 */

/**
 * Parses `argv` (without `node` and the script) strictly: unknown options, missing values and a
 * wrong number of operands throw a `UsageError`.
 * @param {string[]} argv
 * @returns {Command}
 */
function parseCommandLine(argv) {
  const { values, positionals, tokens } = parse(argv)
  const flags = {
    fail: Boolean(values.fail),
    json: Boolean(values.json),
    progress: !values.quiet && !values.silent,
    showErrors: !values.silent || Boolean(values['show-error']),
    verbose: Boolean(values.verbose),
  }
  if (values.help) return { action: 'help', ...flags }
  if (values.version) return { action: 'version', ...flags }
  const form = formParts(formItems(tokens))
  const { url, file } = target(positionals, form.file, values)
  const upload = {
    url,
    filePath: file.path,
    name: file.name,
    formData: form.fields,
    ...requestHeaders(values.header ?? []),
    timeout: deadline(values),
    ...(file.fileName !== undefined && { fileName: file.fileName }),
    ...(file.type !== undefined && { fileContentType: file.type }),
    ...networkOptions(values),
  }
  return {
    action: 'upload',
    upload,
    ...(values.output !== undefined && values.output !== '-' && { output: values.output }),
    ...flags,
  }
}

module.exports = { OPTIONS, UsageError, parseCommandLine }
