'use strict'

/**
 * The options of `uploadFile`: the type of each is checked here, from the native side's record
 * of the options (src/options/record.rs, `optionRecords()`), worded as WeChat words it
 * (`parameter.url should be String instead of Undefined`); every rule about values (URL scheme,
 * empty names, the deadline and its default, header syntax) is the native side's
 * (src/options.rs). See docs/API.md §2 and §9.
 */

const path = require('node:path')
const { ErrorCode, optionRecords, proxyVariables } = require('./native.js')

/** Every option, in order; a field of an object option is named `retry.limit`. */
const RECORDS = optionRecords()

/** The options themselves (not the fields of an object option). */
const TOP_LEVEL = RECORDS.filter((record) => !record.name.includes('.'))

/** Each option's records of its fields (`retry` → `retry.limit`, …); empty for most. */
const FIELDS = new Map(
  TOP_LEVEL.map(({ name }) => [name, RECORDS.filter((record) => record.name.startsWith(`${name}.`))]),
)

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

/** The record types of the callbacks and of the options never sent to the native side. */
const NOT_SENT = new Set(['function', 'signal', 'ignored'])

/** The options `uploadFile` reads: each is read exactly once, the callbacks first. */
const KNOWN = [
  ...TOP_LEVEL.filter((record) => record.type === 'function'),
  ...TOP_LEVEL.filter((record) => record.type !== 'function' && record.type !== 'ignored'),
].map((record) => record.name)

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

/**
 * `read()`, whose throw (a getter, a Proxy trap, a `toString`) becomes the failure naming the
 * option `name`; a `ParameterProblem` of its own goes through as it is.
 */
function reading(name, read) {
  try {
    return read()
  } catch (thrown) {
    if (thrown instanceof ParameterProblem) throw thrown
    throw new ParameterProblem(unreadable(name, thrown))
  }
}

/** The failure `make()` returns, or the one naming `name` when making it threw. */
function problemOf(make, name) {
  try {
    return make()
  } catch (thrown) {
    return unreadable(name, thrown)
  }
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

/**
 * The check of each record type: WeChat's name of the type expected, and the test. A `pem`
 * value's items are checked one by one as they are read (`caTexts`).
 */
const TYPES = {
  string: { expected: 'String', test: (v) => typeof v === 'string' },
  number: { expected: 'Number', test: (v) => typeof v === 'number' },
  boolean: { expected: 'Boolean', test: (v) => typeof v === 'boolean' },
  object: { expected: 'Object', test: isPlainObject },
  function: { expected: 'Function', test: (v) => typeof v === 'function' },
  signal: { expected: 'AbortSignal', test: isAbortSignal },
  stringOrFalse: { expected: 'String or false', test: (v) => typeof v === 'string' || v === false },
  pem: {
    expected: 'String or Buffer',
    test: (v) => typeof v === 'string' || ArrayBuffer.isView(v) || Array.isArray(v),
  },
}

/** Throws the type failure of `record` unless `value` is absent (and may be) or of its type. */
function checkType(record, value) {
  const type = TYPES[record.type]
  if (!type || (isAbsent(value) && !record.required) || type.test(value)) return
  throw new ParameterProblem(wrongType(record.name, type.expected, value))
}

/** One PEM text of `ca`: a string, or a Buffer / typed array of it. */
function pemText(value, name) {
  if (typeof value === 'string') return value
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')
  throw new ParameterProblem(wrongType(name, TYPES.pem.expected, value))
}

/** `ca` as a list of PEM texts: one string or Buffer, or an array of them. */
function caTexts(ca) {
  if (isAbsent(ca)) return []
  if (Array.isArray(ca)) return ca.map((item, i) => pemText(item, `ca[${i}]`))
  return [pemText(ca, 'ca')]
}

/**
 * An object option with fields (`retry`) as the native side takes it: the fields its records
 * name, read once each and type-checked; absent fields are left out.
 */
function objectFields(name, object) {
  if (isAbsent(object)) return undefined
  const copy = {}
  for (const field of FIELDS.get(name)) {
    const key = field.name.slice(name.length + 1)
    let value
    try {
      value = object[key]
    } catch (thrown) {
      throw new ParameterProblem(unreadable(field.name, thrown))
    }
    checkType(field, value)
    if (!isAbsent(value)) copy[key] = value
  }
  return copy
}

/** `formData` values: strings as they are, objects as JSON, the rest through `String()`. */
function formValue(value) {
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Turns the object option `param` into `{ name, value }` pairs, skipping `null` and `undefined` values. */
function toPairs(object, param, convert) {
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
  for (const { name, type } of TOP_LEVEL) {
    if (type !== 'function') continue
    const fn = values[name]
    if (typeof fn === 'function') callbacks[name] = fn
    else if (!isAbsent(fn) && !failure) failure = problemOf(() => wrongType(name, TYPES.function.expected, fn), name)
  }
  return { callbacks, failure }
}

/**
 * The options whose value the native side takes in another shape; every other option goes as
 * given (absent as `undefined`), an object option with fields as `objectFields` copies it.
 */
const CONVERSIONS = {
  fileName: (value, values) => value || path.basename(values.filePath) || 'file',
  header: (value) => toPairs(value, 'header', String),
  formData: (value) => toPairs(value, 'formData', formValue),
  ca: caTexts,
}

/**
 * Checks the types (in the records' order) and builds the request the native task takes.
 * Anything that throws while an option is read (a getter, a Proxy trap such as `ownKeys`, a
 * revoked Proxy) is a failure naming that option.
 */
function buildRequest(values) {
  for (const record of TOP_LEVEL) {
    if (record.type !== 'function') reading(record.name, () => checkType(record, values[record.name]))
  }
  const request = {}
  for (const { name, type } of TOP_LEVEL) {
    if (NOT_SENT.has(type)) continue
    const value = values[name]
    const convert = CONVERSIONS[name]
    if (convert) request[name] = reading(name, () => convert(value, values))
    else if (FIELDS.get(name).length > 0) request[name] = reading(name, () => objectFields(name, value))
    else request[name] = isAbsent(value) ? undefined : value
  }
  request.environment = isAbsent(values.proxy) ? proxyEnvironment() : undefined
  return request
}

/**
 * Reads `options` once: the callbacks, and the native request and `signal` (an AbortSignal-like
 * object or `null`), or the failure that stops it. Never throws, whatever getters, proxies or
 * `toString`s in `options` do.
 * @returns {{ callbacks: object, request: object | null, signal: object | null, failure: object | null }}
 */
function normalize(options) {
  let callbacks = {}
  try {
    // Inside the try: a revoked Proxy throws even here.
    if (!isPlainObject(options)) {
      return { callbacks, request: null, signal: null, failure: wrongType('', 'Object', options) }
    }
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

module.exports = { normalize, typeName, unreadable, RECORDS }
