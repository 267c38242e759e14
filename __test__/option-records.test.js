'use strict'

// One record per option (src/options/record.rs, `optionRecords()`): the option declarations of
// index.d.ts, the option tables of README.md and docs/API.md, the request fields of API.md §1.1,
// the CLI's --help and the type checks of lib/options.js must all agree with it.

const fs = require('node:fs')
const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { optionRecords } = require('../binding.js')
const { regions, currentRegion, bindingFields } = require('../scripts/options.js')
const { runNode, PACKAGE_DIR } = require('./helpers/child.js')
const { useServer } = require('./helpers/setup.js')

const server = useServer(test)

const RECORDS = optionRecords()

for (const region of regions()) {
  test(`${region.file}, region ${region.name}, is what the records give`, (t) => {
    const text = fs.readFileSync(path.join(PACKAGE_DIR, region.file), 'utf8')
    t.is(
      currentRegion(text, region.file, region.name),
      region.lines.join('\n'),
      `${region.file} differs from the records: run node scripts/options.js --write`,
    )
  })
}

/**
 * Where `--help` spells `flag` (`-n, --name`, `<url>`, or a part of another option's value such
 * as `;type=`): after a space or `[`, and, when it ends with a name, before a space or the end
 * of the line (so `--proxy` is not found in `--no-proxy`, nor `--max-redirs` in `--max-redirects`).
 */
function spelled(flag) {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[\\s[])${escaped}${/[\w>]$/.test(flag) ? '(?=\\s|$)' : ''}`, 'm')
}

test('the CLI --help shows every record that has a CLI flag, with that flag', async (t) => {
  const help = await runNode([path.join(PACKAGE_DIR, 'bin', 'upload-task.js'), '--help'])
  t.is(help.code, 0, help.stderr)
  const withFlags = RECORDS.filter((record) => record.cli.length > 0)
  t.true(withFlags.length >= 10, 'most options have a flag')
  for (const record of withFlags) {
    for (const flag of record.cli) t.regex(help.stdout, spelled(flag), `${record.name}: ${flag}`)
  }
})

test('every option the native side takes is a field of UploadRequest, and the other way round', (t) => {
  const binding = fs.readFileSync(path.join(PACKAGE_DIR, 'binding.d.ts'), 'utf8')
  const fields = bindingFields(binding, 'UploadRequest').map((f) => f.name)
  const sent = RECORDS.filter((r) => !r.name.includes('.') && !['function', 'signal', 'ignored'].includes(r.type))
  t.deepEqual(sent.map((r) => r.name).sort(), fields.filter((name) => name !== 'environment').sort())
  const retryFields = bindingFields(binding, 'RetryRequest').map((f) => `retry.${f.name}`)
  t.deepEqual(
    RECORDS.filter((r) => r.name.startsWith('retry.')).map((r) => r.name),
    retryFields,
  )
})

/** WeChat's names of the types, and a value of another type for each, as the test sees them. */
const WRONG = {
  string: ['String', 42, 'Number'],
  number: ['Number', '5', 'String'],
  boolean: ['Boolean', 'yes', 'String'],
  object: ['Object', 'text', 'String'],
  function: ['Function', 1, 'Number'],
  signal: ['AbortSignal', {}, 'Object'],
  stringOrFalse: ['String or false', true, 'Boolean'],
  pem: ['String or Buffer', 7, 'Number'],
}

/** Options that pass every type check, with the option `name` (`retry.limit` too) set to `value`. */
function withOption(name, value) {
  const options = { url: 'http://127.0.0.1:9/up', filePath: __filename, name: 'file' }
  const [head, field] = name.split('.')
  options[head] = field ? { [field]: value } : value
  return options
}

test('every typed record is checked by its type, in WeChat’s wording', async (t) => {
  const typed = RECORDS.filter((r) => r.type !== 'ignored')
  t.deepEqual([...new Set(typed.map((r) => r.type))].sort(), Object.keys(WRONG).sort(), 'every type is exercised')
  for (const record of typed) {
    const [expected, value, actual] = WRONG[record.type]
    const error = await t.throwsAsync(uploadFile(withOption(record.name, value)), { code: 'ERR_INVALID_ARG_TYPE' })
    t.is(
      error.errMsg,
      `uploadFile:fail parameter error: parameter.${record.name} should be ${expected} instead of ${actual}`,
      record.name,
    )
  }
})

test('an ignored option is never read', async (t) => {
  const ignored = RECORDS.filter((r) => r.type === 'ignored')
  t.deepEqual(
    ignored.map((r) => r.name),
    ['withCredentials'],
  )
  const options = { ...withOption('timeout', 10000), url: server.endpoint().url }
  for (const { name } of ignored) {
    Object.defineProperty(options, name, {
      get() {
        throw new Error(`${name} was read`)
      },
    })
  }
  const result = await uploadFile(options)
  t.is(result.statusCode, 200, 'the upload ran: neither getter was called')
})
