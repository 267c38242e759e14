'use strict'

/**
 * The options of `uploadFile`: the type of each is checked here, worded as WeChat words it
 * (`parameter.url should be String instead of Undefined`); every rule about values (URL scheme,
 * empty names, the deadline and its default, header syntax) is the native side's
 * (src/options.rs). See docs/API.md §2 and §9.
 */

const path = require('node:path')
const { ErrorCode, proxyVariables } = require('./native.js')

/** The environment variables the native side reads the proxy settings from (`proxyVariables` in src/proxy.rs). */
const PROXY_VARIABLES = proxyVariables()

/**
 * Those of them that `process.env` has, as `{ name, value }` pairs: read when each upload starts,
 * from this thread's `process.env` (a worker's own copy included), as Node users set them.
 */
function proxyEnvironment() {
  const pairs = []
  for (const name of PROXY_VARIABLES) {
    const value = process.env[name]
    if (value !== undefined) pairs.push({ name, value })
  }
  return pairs
}

/** A failure found before the upload starts, as the native side reports one: `{ code, reason }`. */
function parameterFailure(code, detail, cause) {
  return { code, reason: `parameter error: ${detail}`, cause }
}

/** Thrown inside this module; `normalize` turns it into a failure. */
class ParameterProblem {
  constructor(failure) {
    this.failure = failure
  }
}

/** WeChat's name for the type of a value: `String`, `Undefined`, `Null`, `Array`, … */
function typeName(value) {
  if (value === null) return 'Null'
  if (Array.isArray(value)) return 'Array'
  const type = typeof value
  if (type === 'bigint') return 'BigInt'
  return type[0].toUpperCase() + type.slice(1)
}

/** `parameter.<name> should be <expected> instead of <type>`, code `ERR_INVALID_ARG_TYPE`. */
function wrongType(name, expected, value) {
  return parameterFailure(
    ErrorCode.ERR_INVALID_ARG_TYPE,
    `parameter${name ? `.${name}` : ''} should be ${expected} instead of ${typeName(value)}`,
  )
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isAbsent(value) {
  return value === undefined || value === null
}

/** The options `uploadFile` reads: each is read exactly once, the callbacks first. */
const KNOWN = [
  'success',
  'fail',
  'complete',
  'url',
  'filePath',
  'name',
  'header',
  'formData',
  'fileName',
  'timeout',
  'idleTimeout',
  'maxBytesPerSecond',
  'maxResponseBytes',
  'ca',
  'enableHttp2',
  'maxRedirects',
  'proxy',
  'retry',
  'enableProfile',
  'signal',
]

/** The first line of what a getter, `toString` or `JSON.stringify` threw, for a one-line `errMsg`. */
function firstLine(thrown) {
  try {
    const text = thrown instanceof Error ? thrown.message : String(thrown)
    return text.split('\n', 1)[0]
  } catch {
    return 'a value that cannot be printed'
  }
}

/** `parameter.<name> could not be read: …`, with what was thrown as `cause`. */
function unreadable(name, thrown) {
  return parameterFailure(
    ErrorCode.ERR_INVALID_ARG_VALUE,
    `parameter.${name} could not be read: ${firstLine(thrown)}`,
    thrown,
  )
}

/** Copies the known options, reading each once; the first getter that throws is the failure. */
function snapshot(options) {
  const values = {}
  let failure = null
  for (const key of KNOWN) {
    try {
      values[key] = options[key]
    } catch (thrown) {
      failure = failure || unreadable(key, thrown)
    }
  }
  return { values, failure }
}

/** Checks that an optional option is absent or passes `test`. */
function expectOptional(values, name, expected, test) {
  const value = values[name]
  if (!isAbsent(value) && !test(value)) throw new ParameterProblem(wrongType(name, expected, value))
}

/**
 * Whether `value` looks like an `AbortSignal`: a boolean `aborted` and functions
 * `addEventListener` / `removeEventListener`. Duck-typed, not `instanceof`, so that signals of
 * another realm (Jest, `node:vm`) and polyfills are accepted. A getter that throws here is a
 * failure naming `parameter.signal`.
 */
function isAbortSignal(value) {
  try {
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof value.aborted === 'boolean' &&
      typeof value.addEventListener === 'function' &&
      typeof value.removeEventListener === 'function'
    )
  } catch (thrown) {
    throw new ParameterProblem(unreadable('signal', thrown))
  }
}

/** One PEM text of `ca`: a string, or a Buffer / typed array of it. */
function pemText(value, name) {
  if (typeof value === 'string') return value
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')
  throw new ParameterProblem(wrongType(name, 'String or Buffer', value))
}

/** `ca` as a list of PEM texts: one string or Buffer, or an array of them. */
function caTexts(ca) {
  if (isAbsent(ca)) return []
  if (Array.isArray(ca)) return ca.map((item, i) => pemText(item, `ca[${i}]`))
  return [pemText(ca, 'ca')]
}

/** `retry` as the native side takes it: the numbers of an object, read once each. */
function retryOption(retry) {
  if (isAbsent(retry)) return undefined
  const copy = {}
  for (const key of ['limit', 'backoff', 'maxRetryAfter']) {
    let value
    try {
      value = retry[key]
    } catch (thrown) {
      throw new ParameterProblem(unreadable(`retry.${key}`, thrown))
    }
    if (isAbsent(value)) continue
    if (typeof value !== 'number') throw new ParameterProblem(wrongType(`retry.${key}`, 'Number', value))
    copy[key] = value
  }
  return copy
}

/** `formData` values: strings as they are, objects as JSON, the rest through `String()`. */
function formValue(value) {
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Turns `values[param]` into `{ name, value }` pairs, skipping `null` and `undefined` values. */
function toPairs(values, param, convert) {
  const object = values[param]
  const pairs = []
  if (isAbsent(object)) return pairs
  for (const name of Object.keys(object)) {
    try {
      const value = object[name]
      if (isAbsent(value)) continue
      const converted = convert(value)
      if (converted !== undefined) pairs.push({ name, value: converted })
    } catch (thrown) {
      throw new ParameterProblem(unreadable(`${param}.${name}`, thrown))
    }
  }
  return pairs
}

/**
 * The `success`, `fail` and `complete` callbacks that are functions, and the failure of the
 * first one that is something else (the valid ones still run for it).
 */
function pickCallbacks(values) {
  const callbacks = {}
  let failure = null
  for (const key of ['success', 'fail', 'complete']) {
    const fn = values[key]
    if (typeof fn === 'function') callbacks[key] = fn
    else if (!isAbsent(fn) && !failure) failure = wrongType(key, 'Function', fn)
  }
  return { callbacks, failure }
}

/** Checks the types and builds the request the native task takes. */
function buildRequest(values) {
  for (const name of ['url', 'filePath', 'name']) {
    if (typeof values[name] !== 'string') throw new ParameterProblem(wrongType(name, 'String', values[name]))
  }
  expectOptional(values, 'header', 'Object', isPlainObject)
  expectOptional(values, 'formData', 'Object', isPlainObject)
  expectOptional(values, 'fileName', 'String', (v) => typeof v === 'string')
  expectOptional(values, 'timeout', 'Number', (v) => typeof v === 'number')
  expectOptional(values, 'idleTimeout', 'Number', (v) => typeof v === 'number')
  expectOptional(values, 'maxBytesPerSecond', 'Number', (v) => typeof v === 'number')
  expectOptional(values, 'maxResponseBytes', 'Number', (v) => typeof v === 'number')
  expectOptional(values, 'enableHttp2', 'Boolean', (v) => typeof v === 'boolean')
  expectOptional(values, 'maxRedirects', 'Number', (v) => typeof v === 'number')
  expectOptional(values, 'proxy', 'String or false', (v) => typeof v === 'string' || v === false)
  expectOptional(values, 'retry', 'Object', isPlainObject)
  expectOptional(values, 'enableProfile', 'Boolean', (v) => typeof v === 'boolean')
  expectOptional(values, 'signal', 'AbortSignal', isAbortSignal)
  const {
    url,
    filePath,
    name,
    fileName,
    timeout,
    idleTimeout,
    maxBytesPerSecond,
    maxResponseBytes,
    maxRedirects,
    proxy,
  } = values
  return {
    url,
    filePath,
    name,
    fileName: fileName || path.basename(filePath) || 'file',
    header: toPairs(values, 'header', String),
    formData: toPairs(values, 'formData', formValue),
    timeout: isAbsent(timeout) ? undefined : timeout,
    idleTimeout: isAbsent(idleTimeout) ? undefined : idleTimeout,
    maxBytesPerSecond: isAbsent(maxBytesPerSecond) ? undefined : maxBytesPerSecond,
    maxResponseBytes: isAbsent(maxResponseBytes) ? undefined : maxResponseBytes,
    ca: caTexts(values.ca),
    enableHttp2: values.enableHttp2 === true,
    maxRedirects: isAbsent(maxRedirects) ? undefined : maxRedirects,
    proxy: isAbsent(proxy) ? undefined : proxy,
    environment: isAbsent(proxy) ? proxyEnvironment() : undefined,
    retry: retryOption(values.retry),
    enableProfile: values.enableProfile === true,
  }
}

/**
 * Reads `options` once: the callbacks, and the native request and `signal` (an AbortSignal-like
 * object or `null`), or the failure that stops it. Never throws, whatever getters, proxies or
 * `toString`s in `options` do.
 * @returns {{ callbacks: object, request: object | null, signal: object | null, failure: object | null }}
 */
function normalize(options) {
  if (!isPlainObject(options)) {
    return { callbacks: {}, request: null, signal: null, failure: wrongType('', 'Object', options) }
  }
  let callbacks = {}
  try {
    const { values, failure: unread } = snapshot(options)
    const picked = pickCallbacks(values)
    callbacks = picked.callbacks
    const failure = picked.failure || unread
    if (failure) return { callbacks, request: null, signal: null, failure }
    const request = buildRequest(values) // checks the signal's type too
    return { callbacks, request, signal: isAbsent(values.signal) ? null : values.signal, failure: null }
  } catch (thrown) {
    const failure =
      thrown instanceof ParameterProblem
        ? thrown.failure
        : parameterFailure(ErrorCode.ERR_INVALID_ARG_VALUE, `parameter could not be read: ${firstLine(thrown)}`, thrown)
    return { callbacks, request: null, signal: null, failure }
  }
}

module.exports = { normalize, typeName, unreadable }
