'use strict'

/**
 * curl's `-F` syntax, as far as `uploadFile` can send it: `-F name=value` (a text field),
 * `-F name=@path` with curl's `;type=` and `;filename=` (the one file), and `--form-string
 * name=value` (a text field taken literally). docs/CLI.md, "Form fields and the file", is its
 * manual.
 */

const { UsageError } = require('./usage-error.js')

/**
 * The file part given by `-F name=@path`.
 * @typedef {object} FilePart
 * @property {string} name          the multipart field name
 * @property {string} path          the path of the file
 * @property {string} [type]        `;type=`: its Content-Type
 * @property {string} [fileName]    `;filename=`: the filename sent for it
 * @property {string} given         the `-F` value as given, for messages
 */

/**
 * Reads one value of a file spec from `text` at `start`: a double-quoted string (with `\"`
 * and `\\` escapes, as curl's) or everything up to the next `;`.
 * @returns {{ value: string, end: number }}   `end`: the index of the `;` or of the end
 */
function readValue(text, start, given) {
  if (text[start] !== '"') {
    const semicolon = text.indexOf(';', start)
    const end = semicolon < 0 ? text.length : semicolon
    return { value: text.slice(start, end), end }
  }
  let value = ''
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) value += text[++i]
    else if (text[i] === '"') {
      if (i + 1 < text.length && text[i + 1] !== ';') break
      return { value, end: i + 1 }
    } else value += text[i]
  }
  throw new UsageError(`-F ${JSON.stringify(given)}: a quoted value is not closed, or text follows its closing quote`)
}

/** What `;key=` attributes of a file part mean here; `null`: curl has it, upload-task does not. */
const FILE_ATTRIBUTES = { type: 'type', filename: 'fileName', headers: null, encoder: null }

/**
 * `name=@path;type=…;filename=…` (the `@path…` part as `spec`) as a `FilePart`. As in curl, a
 * `;key=value` that is no attribute right after an unquoted `;type=` is a parameter of the type
 * (`;type=text/plain;charset=utf-8`).
 * @returns {FilePart}
 */
function filePart(name, spec, given) {
  const part = { name, path: '', given }
  let { value, end } = readValue(spec, 0, given)
  part.path = value
  let typeGoesOn = false
  while (end < spec.length) {
    const start = end + 1
    const eq = spec.indexOf('=', start)
    const key = eq < 0 ? spec.slice(start) : spec.slice(start, eq).trim().toLowerCase()
    if (typeGoesOn && eq >= 0 && !Object.hasOwn(FILE_ATTRIBUTES, key)) {
      ;({ value, end } = readValue(spec, start, given))
      part.type += `;${value}`
      continue
    }
    if (eq < 0 || !Object.hasOwn(FILE_ATTRIBUTES, key)) {
      throw new UsageError(
        `-F ${JSON.stringify(given)}: unknown attribute ${JSON.stringify(key)} (known: type, filename)`,
      )
    }
    if (FILE_ATTRIBUTES[key] === null) {
      throw new UsageError(`-F ${JSON.stringify(given)}: ;${key}= is not supported by upload-task`)
    }
    typeGoesOn = key === 'type' && spec[eq + 1] !== '"'
    ;({ value, end } = readValue(spec, eq + 1, given))
    part[FILE_ATTRIBUTES[key]] = value
  }
  if (!part.path) throw new UsageError(`-F ${JSON.stringify(given)}: no file path after @`)
  if (part.path === '-') throw stdinError(`-F ${JSON.stringify(given)}`)
  return part
}

/**
 * The refusal of `-` as the file (curl reads standard input there): `where` names what gave it.
 * Even a file named `-` is refused; `./-` names it.
 */
function stdinError(where) {
  return new UsageError(
    `${where}: standard input cannot be sent (the size must be known before the first byte); a file named - is ./-`,
  )
}

/** `name=value` split at the first `=`; `flag` names the option for the usage error. */
function nameAndValue(flag, given) {
  const at = given.indexOf('=')
  if (at <= 0) throw new UsageError(`${flag} expects name=value, got ${JSON.stringify(given)}`)
  return { name: given.slice(0, at), value: given.slice(at + 1) }
}

/**
 * The text fields and the file of `-F` and `--form-string` items, in command-line order.
 * A field name given twice, a second file, and `-F name=<file` are usage errors.
 * @param {{ literal: boolean, given: string }[]} items   `literal`: from `--form-string`
 * @returns {{ fields: Record<string, string>, file: FilePart | null }}
 */
function formParts(items) {
  const fields = Object.create(null) // keys such as `__proto__` stay ordinary fields
  let file = null
  for (const { literal, given } of items) {
    const { name, value } = nameAndValue(literal ? '--form-string' : '-F/--form', given)
    if (!literal && value.startsWith('@')) {
      if (file) {
        throw new UsageError(
          `-F ${JSON.stringify(given)} is a second file: uploadFile sends one file (the first is -F ${JSON.stringify(file.given)})`,
        )
      }
      file = filePart(name, value.slice(1), given)
      continue
    }
    if (!literal && value.startsWith('<')) {
      throw new UsageError(
        `-F ${JSON.stringify(given)}: a text field read from a file (name=<file) is not supported: send the file with name=@file, or text with --form-string`,
      )
    }
    if (Object.hasOwn(fields, name)) {
      throw new UsageError(`the form field ${JSON.stringify(name)} is given twice (a field can be sent once)`)
    }
    fields[name] = value
  }
  return { fields, file }
}

module.exports = { formParts, stdinError }
