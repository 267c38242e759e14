'use strict'

/**
 * The command line of `upload-task [options] <url> <file>`: one table of options, from which
 * both the `node:util` `parseArgs` configuration and the `--help` lines are made, and the
 * conversion of the parsed values into `uploadFile` options. docs/CLI.md describes them.
 */

const fs = require('node:fs')
const { parseArgs } = require('node:util')

/**
 * One option of the command line.
 * @typedef {object} OptionSpec
 * @property {string} long          the long name, without `--`
 * @property {string} [short]       the one-letter name, without `-`
 * @property {string} [value]       the placeholder of its value; absent for a flag
 * @property {boolean} [multiple]   may be repeated
 * @property {string} [default]     its value when absent (also shown in `--help`)
 * @property {string} help          one line for `--help`
 */

/** @type {OptionSpec[]} */
const OPTIONS = [
  { long: 'name', short: 'n', value: 'field', default: 'file', help: 'multipart field name of the file part' },
  { long: 'file-name', value: 'name', help: 'filename of the file part (default: the basename of <file>)' },
  { long: 'form', short: 'F', value: 'key=value', multiple: true, help: 'a text field, sent before the file' },
  { long: 'header', short: 'H', value: "'Name: value'", multiple: true, help: 'a request header' },
  { long: 'timeout', value: 'ms', default: '0', help: 'deadline of the whole upload; 0: none' },
  { long: 'idle-timeout', value: 'ms', help: 'fail when nothing moves for this long (idleTimeout)' },
  { long: 'limit-rate', value: 'bytes/s', help: 'pace the body, e.g. 500K or 2M (maxBytesPerSecond)' },
  { long: 'max-redirects', value: 'n', help: "redirects followed (default: the library's; 0: the 3xx is the result)" },
  { long: 'retry', value: 'n', help: 'send again when refused, reset before a response, 429 or 503' },
  { long: 'proxy', value: 'url', help: 'proxy for this upload (default: HTTPS_PROXY, HTTP_PROXY, …)' },
  { long: 'no-proxy', help: 'no proxy, whatever the environment says' },
  { long: 'cacert', value: 'file', help: 'extra trusted root certificates (PEM), added to the system ones' },
  { long: 'http2', help: 'offer HTTP/2 over https: (enableHttp2)' },
  { long: 'fail', help: 'exit with 22 when the status is 400 or more; print no body' },
  { long: 'json', help: 'print the whole result object as JSON instead of the body' },
  { long: 'quiet', short: 'q', help: 'no progress (errors are still reported)' },
  { long: 'help', short: 'h', help: 'print this help and exit' },
  { long: 'version', help: 'print the version and exit' },
]

/** A mistake on the command line: exit status 2 with the usage line. */
class UsageError extends Error {}

/** The `parseArgs` configuration of `OPTIONS`. */
function parseArgsOptions() {
  const config = {}
  for (const spec of OPTIONS) {
    config[spec.long] = {
      type: spec.value ? 'string' : 'boolean',
      ...(spec.short && { short: spec.short }),
      ...(spec.multiple && { multiple: true }),
      ...(spec.default !== undefined && { default: spec.default }),
    }
  }
  return config
}

/** `-F key=value` values as a `formData` object, in order; a repeated key is a usage error. */
function formFields(items) {
  const fields = Object.create(null) // keys such as `__proto__` stay ordinary fields
  for (const item of items) {
    const at = item.indexOf('=')
    if (at <= 0) throw new UsageError(`--form expects key=value, got ${JSON.stringify(item)}`)
    const key = item.slice(0, at)
    if (Object.hasOwn(fields, key)) {
      throw new UsageError(`--form ${JSON.stringify(key)} is given twice (a field can be sent once)`)
    }
    fields[key] = item.slice(at + 1)
  }
  return fields
}

/**
 * `-H 'Name: value'` values as a `header` object. The value is trimmed of surrounding spaces;
 * repeats of a name (in any case) are joined with `, `, as HTTP allows (RFC 9110 §5.3).
 */
function headerFields(items) {
  const headers = Object.create(null)
  const byLowerName = new Map()
  for (const item of items) {
    const at = item.indexOf(':')
    const name = at < 0 ? '' : item.slice(0, at).trim()
    if (!name) throw new UsageError(`--header expects 'Name: value', got ${JSON.stringify(item)}`)
    const value = item.slice(at + 1).trim()
    const first = byLowerName.get(name.toLowerCase())
    if (first === undefined) {
      byLowerName.set(name.toLowerCase(), name)
      headers[name] = value
    } else {
      headers[first] = `${headers[first]}, ${value}`
    }
  }
  return headers
}

/** The value of `--<flag>` as a whole number; `what` names its unit for the usage error. */
function wholeNumber(flag, text, what) {
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${flag} expects a whole number of ${what}, got ${JSON.stringify(text)}`)
  return Number(text)
}

/** `--timeout` as `uploadFile`'s `timeout`: a whole number of ms; `0` means no deadline. */
function timeoutOption(text) {
  const ms = wholeNumber('timeout', text, 'milliseconds')
  return ms === 0 ? Number.POSITIVE_INFINITY : ms
}

const RATE_UNITS = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** `--limit-rate` as bytes per second: a whole number, with an optional K, M or G (as curl's). */
function rateOption(text) {
  const match = /^(\d+)([kmg]?)$/i.exec(text)
  if (!match)
    throw new UsageError(`--limit-rate expects bytes per second such as 500K or 2M, got ${JSON.stringify(text)}`)
  return Number(match[1]) * RATE_UNITS[match[2].toLowerCase()]
}

/** `--cacert <file>`: the PEM text of the file (the library checks that it is PEM). */
function caOption(file) {
  try {
    return fs.readFileSync(file, 'latin1')
  } catch (error) {
    throw new UsageError(`--cacert ${JSON.stringify(file)} cannot be read: ${error.message}`)
  }
}

/** The `uploadFile` options of the network flags; only those given. */
function networkOptions(values) {
  if (values.proxy !== undefined && values['no-proxy'])
    throw new UsageError('--proxy and --no-proxy exclude each other')
  const given = (flag) => values[flag] !== undefined
  return {
    ...(given('idle-timeout') && { idleTimeout: wholeNumber('idle-timeout', values['idle-timeout'], 'milliseconds') }),
    ...(given('limit-rate') && { maxBytesPerSecond: rateOption(values['limit-rate']) }),
    ...(given('max-redirects') && { maxRedirects: wholeNumber('max-redirects', values['max-redirects'], 'redirects') }),
    ...(given('retry') && { retry: { limit: wholeNumber('retry', values.retry, 'retries') } }),
    ...(given('proxy') && { proxy: values.proxy }),
    ...(values['no-proxy'] && { proxy: false }),
    ...(given('cacert') && { ca: caOption(values.cacert) }),
    ...(values.http2 && { enableHttp2: true }),
  }
}

/**
 * What the command line asks for.
 * @typedef {object} Command
 * @property {'help'|'version'|'upload'} action
 * @property {object} [upload]   the `uploadFile` options (without callbacks)
 * @property {boolean} fail
 * @property {boolean} json
 * @property {boolean} quiet
 */

/**
 * Parses `argv` (without `node` and the script) strictly: unknown options, missing values and a
 * wrong number of operands throw a `UsageError`.
 * @param {string[]} argv
 * @returns {Command}
 */
function parseCommandLine(argv) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: parseArgsOptions(), allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(error.message)
  }
  const { values, positionals } = parsed
  const flags = { fail: Boolean(values.fail), json: Boolean(values.json), quiet: Boolean(values.quiet) }
  if (values.help) return { action: 'help', ...flags }
  if (values.version) return { action: 'version', ...flags }
  if (positionals.length !== 2) {
    throw new UsageError(
      positionals.length < 2 ? 'expected <url> and <file>' : `unexpected argument ${JSON.stringify(positionals[2])}`,
    )
  }
  const [url, filePath] = positionals
  const upload = {
    url,
    filePath,
    name: values.name,
    formData: formFields(values.form ?? []),
    header: headerFields(values.header ?? []),
    timeout: timeoutOption(values.timeout),
    ...(values['file-name'] !== undefined && { fileName: values['file-name'] }),
    ...networkOptions(values),
  }
  return { action: 'upload', upload, ...flags }
}

module.exports = { OPTIONS, UsageError, parseCommandLine }
