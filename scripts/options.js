#!/usr/bin/env node
'use strict'

/**
 * Writes what the docs and types say about the options from their one record
 * (src/options/record.rs, read through the built binding's `optionRecords()`): the option
 * declarations of `index.d.ts`, the option table of README.md, the option and retry tables of
 * docs/API.md, and the request fields of docs/API.md §1.1 (from `UploadRequest` in the generated
 * binding.d.ts). Each lives between a `BEGIN GENERATED <name>` and an `END GENERATED <name>`
 * marker line; nothing outside them is touched.
 *
 *   node scripts/options.js --write   rewrite the regions
 *   node scripts/options.js --check   exit 1, naming each region that differs (the default)
 *
 * __test__/option-records.test.js runs the same comparison.
 */

const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const SOURCE = 'scripts/options.js --write, from src/options/record.rs'

/** The records, in order (built binding required). */
function loadRecords() {
  return require('../lib/options.js').RECORDS
}

/** A table row: the cells joined with ` | `. */
function row(cells) {
  return `| ${cells.join(' | ')} |`
}

/** `a`, `b`: the names of a group of records as a table cell. */
function names(group) {
  return group.map((record) => `\`${record.name}\``).join(', ')
}

/**
 * The records in runs of neighbours whose `cells` are equal (`withCredentials` and
 * `enableQuic` share one row).
 */
function groups(records, cells) {
  const runs = []
  for (const record of records) {
    const last = runs.at(-1)
    if (last && cells(last[0]).join('\n') === cells(record).join('\n')) last.push(record)
    else runs.push([record])
  }
  return runs
}

/** GitHub's anchor of a heading text: `2.1 Redirects` → `21-redirects`. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchor of section `number` of docs/API.md (`2.1`, `6`), from its heading. */
function apiAnchor(api, number) {
  const heading = api.split('\n').find((line) => new RegExp(`^#+ ${number.replace('.', '\\.')}\\.? `).test(line))
  if (!heading) throw new Error(`docs/API.md has no section ${number}`)
  return slug(heading.replace(/^#+/, ''))
}

/** The README's option table: every record, fields of an object option included. */
function readmeTable(records, api) {
  const cells = (r) => [
    r.shownType,
    r.default,
    r.see ? `${r.doc} ([§${r.see}](docs/API.md#${apiAnchor(api, r.see)}))` : r.doc,
  ]
  return [
    row(['option', 'type', 'default', 'meaning']),
    row(['---', '---', '---', '---']),
    ...groups(records, cells).map((group) => row([names(group), ...cells(group[0])])),
  ]
}

/** docs/API.md §2's table: the options themselves, each with its value rule. */
function apiTable(records) {
  const cells = (r) => [r.shownType, r.default, r.see ? `${r.rule} (§${r.see})` : r.rule]
  const topLevel = records.filter((r) => !r.name.includes('.'))
  return [
    row(['option', 'type', 'default', 'rule']),
    row(['---', '---', '---', '---']),
    ...groups(topLevel, cells).map((group) => row([names(group), ...cells(group[0])])),
  ]
}

/** docs/API.md §2.3's table: the fields of `retry`. */
function retryTable(records) {
  const fields = records.filter((r) => r.name.startsWith('retry.'))
  return [
    row(['field', 'default', 'meaning']),
    row(['---', '---', '---']),
    ...fields.map((r) => row([`\`${r.name.slice('retry.'.length)}\``, `${r.default}${unit(r)}`, r.rule])),
  ]
}

/** The fields of `interface <name>` in binding.d.ts: `{ name, type, doc }`, doc on one line. */
function bindingFields(binding, name) {
  const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(binding)
  if (!body) throw new Error(`binding.d.ts has no interface ${name}`)
  const fields = []
  let doc = []
  for (const line of body[1].split('\n').map((l) => l.trim())) {
    const field = /^(\w+)(\??): (.+)$/.exec(line)
    if (field) {
      fields.push({ name: field[1], optional: field[2] === '?', type: field[3], doc: doc.join(' ') })
      doc = []
    } else {
      const text = line.replace(/^\/\*\*|\*\/$|^\*/g, '').trim()
      if (text) doc.push(text)
    }
  }
  return fields
}

/** docs/API.md §1.1's table of the `request` that `UploadTask.start` takes. */
function requestTable(binding) {
  return [
    row(['field', 'type', 'meaning']),
    row(['---', '---', '---']),
    ...bindingFields(binding, 'UploadRequest').map((f) =>
      row([`\`${f.name}${f.optional ? '?' : ''}\``, `\`${f.type}\``, f.doc].map((cell) => cell.replace(/\|/g, '\\|'))),
    ),
  ]
}

/** `text` as the lines of a JSDoc comment indented by `indent`, at most `width` columns. */
function jsdoc(text, indent, width = 100) {
  const words = text.split(/\s+/).filter(Boolean)
  const oneLine = `${indent}/** ${words.join(' ')} */`
  if (oneLine.length <= width) return [oneLine]
  const lines = [`${indent}/**`]
  let line = `${indent} *`
  for (const word of words) {
    if (line.length + 1 + word.length > width && line !== `${indent} *`) {
      lines.push(line)
      line = `${indent} *`
    }
    line += ` ${word}`
  }
  lines.push(line, `${indent} */`)
  return lines
}

/** ` ms` for a record whose type the docs show as `number (ms)`. */
function unit(r) {
  return r.shownType.endsWith('(ms)') ? ' ms' : ''
}

/** The JSDoc text of a record: its sentence, its default, where API.md says more. */
function declarationDoc(r) {
  const sentence = r.doc.replace(/\.$/, '')
  const parts = [`${sentence[0].toUpperCase()}${sentence.slice(1)}.`]
  if (r.required) parts.push('Required.')
  else if (r.default !== '—') parts.push(`Default: ${r.default}${r.default.startsWith('`') ? unit(r) : ''}.`)
  if (r.see) parts.push(`See docs/API.md §${r.see}.`)
  return parts.join(' ')
}

/** The declaration of one record in `uploadFile.Option`, fields of an object option nested. */
function declaration(records, r, indent) {
  const fields = records.filter((f) => f.name.startsWith(`${r.name}.`))
  const optional = r.required ? '' : '?'
  const nullable = r.required || r.type === 'function' || r.type === 'ignored' ? '' : ' | null'
  const head = `${indent}${r.name.split('.').at(-1)}${optional}:`
  if (fields.length === 0) return [...jsdoc(declarationDoc(r), indent), `${head} ${r.tsType}${nullable}`]
  return [
    ...jsdoc(declarationDoc(r), indent),
    `${head} {`,
    ...fields.flatMap((f) => declaration(records, f, `${indent}  `)),
    `${indent}}${nullable}`,
  ]
}

/** The members of `uploadFile.Option` in index.d.ts. */
function declarations(records) {
  const topLevel = records.filter((r) => !r.name.includes('.'))
  return topLevel.flatMap((r) => declaration(records, r, '    '))
}

/** Every generated region: `{ file, name, lines }`, from the records and the files as they are. */
function regions(records = loadRecords(), read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8')) {
  const api = read('docs/API.md')
  return [
    { file: 'README.md', name: 'options', lines: readmeTable(records, api) },
    { file: 'docs/API.md', name: 'request', lines: requestTable(read('binding.d.ts')) },
    { file: 'docs/API.md', name: 'options', lines: apiTable(records) },
    { file: 'docs/API.md', name: 'retry', lines: retryTable(records) },
    { file: 'index.d.ts', name: 'options', lines: declarations(records) },
  ]
}

/** The marker lines of region `name` in `file` (an HTML comment in Markdown, `//` in TypeScript). */
function markers(file, name) {
  const [open, close] = file.endsWith('.md') ? ['<!-- ', ' -->'] : ['    // ', '']
  return {
    begin: `${open}BEGIN GENERATED ${name} (${SOURCE})${close}`,
    end: `${open}END GENERATED ${name}${close}`,
  }
}

/** The lines between the markers of region `name` in `text`, with their positions. */
function findRegion(text, file, name) {
  const lines = text.split('\n')
  const { begin, end } = markers(file, name)
  const from = lines.indexOf(begin)
  const to = lines.indexOf(end, from + 1)
  if (from < 0 || to < 0) throw new Error(`${file} has no region ${name} (marker lines: ${begin} … ${end})`)
  return { lines, from, to, body: lines.slice(from + 1, to) }
}

/** The region as the file has it now, as one text. */
function currentRegion(text, file, name) {
  return findRegion(text, file, name).body.join('\n')
}

/** `text` with region `name` replaced by `body`. */
function replaceRegion(text, file, name, body) {
  const { lines, from, to } = findRegion(text, file, name)
  return [...lines.slice(0, from + 1), ...body, ...lines.slice(to)].join('\n')
}

/** Rewrites every region; returns the names of those that changed. */
function write() {
  const changed = []
  for (const region of regions()) {
    const file = path.join(ROOT, region.file)
    const text = fs.readFileSync(file, 'utf8')
    const next = replaceRegion(text, region.file, region.name, region.lines)
    if (next !== text) {
      fs.writeFileSync(file, next)
      changed.push(`${region.file} ${region.name}`)
    }
  }
  return changed
}

/** The regions whose text differs from what the records give. */
function stale() {
  return regions()
    .filter((r) => {
      const text = fs.readFileSync(path.join(ROOT, r.file), 'utf8')
      return currentRegion(text, r.file, r.name) !== r.lines.join('\n')
    })
    .map((r) => `${r.file} ${r.name}`)
}

if (require.main === module) {
  if (process.argv.includes('--write')) {
    const changed = write()
    console.log(changed.length ? `rewrote: ${changed.join(', ')}` : 'up to date')
  } else {
    const differ = stale()
    if (differ.length) {
      console.error(`out of date (run node scripts/options.js --write): ${differ.join(', ')}`)
      process.exitCode = 1
    }
  }
}

module.exports = { regions, currentRegion, markers, stale, bindingFields }
