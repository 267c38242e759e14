'use strict'

/**
 * The texts of `--help` and of a usage error, made from the option table (cli/options.js) and
 * the exit-status table (cli/exit-codes.js), so that they cannot drift from the code.
 */

const { OPTIONS } = require('./options.js')
const { EXIT_FAMILIES } = require('./exit-codes.js')

const USAGE = 'Usage: upload-task [options] <url> <file>'

/** `-n, --name <field>` or `    --fail`: the left column of an option's help line. */
function optionSyntax(spec) {
  const short = spec.short ? `-${spec.short}, ` : '    '
  return `${short}--${spec.long}${spec.value ? ` <${spec.value.replace(/^'(.*)'$/, '$1')}>` : ''}`
}

/** One help line of an option, with its default and whether it repeats. */
function optionLine(spec, width) {
  const notes = [spec.multiple && 'repeatable', spec.default !== undefined && `default: ${spec.default}`].filter(
    Boolean,
  )
  const help = notes.length ? `${spec.help} (${notes.join('; ')})` : spec.help
  return `  ${optionSyntax(spec).padEnd(width)}  ${help}`
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
    'Sends <file> to <url> as a multipart/form-data POST (the uploadFile API of upload-task).',
    'Progress goes to stderr: a bar on a terminal, plain lines otherwise. The response body',
    'goes to stdout. Ctrl-C aborts the upload.',
    '',
    'Options:',
    ...OPTIONS.map((spec) => optionLine(spec, width)),
    '',
    'Exit status (with the error codes of the library that end with it):',
    ...exits,
    '',
    'Examples:',
    '  upload-task https://example.com/upload photo.jpg',
    "  upload-task -n avatar -F user=alice -H 'Authorization: Bearer abc' --fail URL photo.jpg",
    '  upload-task --json -q URL report.pdf | jq .statusCode',
    '',
  ].join('\n')
}

/** What a usage error prints: the problem, the usage line and where to read more. */
function usageErrorText(message) {
  return `upload-task: ${message}\n${USAGE}\nTry 'upload-task --help' for more information.\n`
}

module.exports = { helpText, usageErrorText, USAGE }
