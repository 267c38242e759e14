'use strict'

/**
 * The texts of `--help` and of a usage error, made from the option table (cli/options.js) and
 * the exit-status table (cli/exit-codes.js), so that they cannot drift from the code.
 */

const { OPTIONS } = require('./options.js')
const { EXIT_FAMILIES } = require('./exit-codes.js')

const USAGE = 'Usage: upload-task [options] -F name=@file <url>\n       upload-task [options] <url> <file>'

/** What every message of the command starts with, once. */
const PREFIX = 'upload-task: '

/**
 * `text` as one message on stderr: prefixed with `upload-task: ` (unless it already is, as the
 * library's "no native binary" message, which is written for callers of the library too), and
 * ended with a newline.
 */
function messageLine(text) {
  return `${text.startsWith(PREFIX) ? '' : PREFIX}${text}\n`
}

/** `-n, --name <field>` or `    --json`: the left column of an option's help line. */
function optionSyntax(spec) {
  const short = spec.short ? `-${spec.short}, ` : '    '
  return `${short}--${spec.long}${spec.value ? ` <${spec.value.replace(/^'(.*)'$/, '$1')}>` : ''}`
}

/** One help line of an option, and whether it repeats. */
function optionLine(spec, width) {
  return `  ${optionSyntax(spec).padEnd(width)}  ${spec.help}${spec.multiple ? ' (repeatable)' : ''}`
}

/** `words` joined with `, ` into lines of at most `width` characters (a longer word stays whole). */
function wrap(words, width) {
  const lines = []
  for (const word of words) {
    const last = lines.length - 1
    if (last >= 0 && lines[last].length + 2 + word.length <= width) lines[last] += `, ${word}`
    else lines.push(word)
  }
  return lines.map((line, i) => (i < lines.length - 1 ? `${line},` : line))
}

/** The whole `--help` text. */
function helpText() {
  const width = Math.max(...OPTIONS.map((spec) => optionSyntax(spec).length))
  const exits = EXIT_FAMILIES.flatMap((f) => [
    `  ${String(f.status).padEnd(4)} ${f.meaning}`,
    ...wrap(f.codes, 80).map((line) => `       ${line}`),
  ])
  return [
    USAGE,
    '',
    'Sends one file to <url> as a multipart/form-data POST (the uploadFile API of upload-task),',
    "given as curl's -F name=@file or as the operand <file>; text fields are sent before it.",
    'Progress goes to stderr: a bar on a terminal, plain lines otherwise. The response body',
    'goes to stdout (or -o). Ctrl-C aborts the upload.',
    '',
    'Options:',
    ...OPTIONS.map((spec) => optionLine(spec, width)),
    '',
    "Exit status (curl's numbers where the meaning is the same; the library's error codes):",
    ...exits,
    '',
    'Examples:',
    '  upload-task -F file=@photo.jpg -F user=alice -o out.json -s https://example.com/upload',
    "  upload-task -F 'avatar=@me.png;type=image/png' -H 'Authorization: Bearer abc' -f URL",
    '  upload-task https://example.com/upload photo.jpg',
    '  upload-task --json -q -F file=@report.pdf URL | jq .statusCode',
    '',
  ].join('\n')
}

/** What a usage error prints: the problem, the usage line and where to read more. */
function usageErrorText(message) {
  return `${messageLine(message)}${USAGE}\nTry 'upload-task --help' for more information.\n`
}

module.exports = { helpText, messageLine, usageErrorText, USAGE }
