'use strict'

/**
 * The code blocks and links of the documentation, for the doc test (__test__/docs.test.js) and
 * the pack test (__test__/pack.test.js), which runs the same samples in the installed package.
 *
 * The rules, for every fenced block tagged `js`, `javascript`, `cjs`, `mjs`, `ts` or
 * `typescript` in README.md, testing/README.md and docs/*.md:
 *
 * - **runnable**: the paragraph right before the block says "save as `NAME`", NAME ending in
 *   `.js`, `.cjs`, `.mjs` (run with `node NAME`, or with the command the same paragraph gives
 *   as "run `npx jest NAME`" / "run `npx ava NAME`") or `.ts` (type-checked by `tsc --noEmit`,
 *   strict, `module: nodenext`, against this package's index.d.ts). It is saved under that
 *   name in a temporary project where `upload-task` is this package, and must exit 0 within
 *   the time limit.
 * - **fragment**: its first line is a comment that starts with `// fragment` (visible to the
 *   reader: "this is not a program"). Fragments are not run.
 * - anything else fails the doc test, and so does an untagged block that looks like JavaScript.
 */

const { execFile } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { promisify } = require('node:util')

const run = promisify(execFile)

/** The repository root. */
const ROOT = path.join(__dirname, '..', '..')

/** The documents whose blocks are checked, relative to a package root. */
function documents(packageRoot) {
  const docs = fs.existsSync(path.join(packageRoot, 'docs'))
    ? fs
        .readdirSync(path.join(packageRoot, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : []
  return ['README.md', 'testing/README.md', ...docs].filter((file) => fs.existsSync(path.join(packageRoot, file)))
}

const LANGUAGES = { js: 'js', javascript: 'js', cjs: 'js', mjs: 'js', ts: 'ts', typescript: 'ts' }
const SAVE_AS = /save (?:it )?as `([\w./-]+\.(?:c|m)?(?:js|ts))`/i
const RUN_WITH = /run `(npx (?:jest|ava)) ([\w./-]+)`/i
const FRAGMENT = /^\s*\/\/ fragment\b/i
const LOOKS_LIKE_JS = /\brequire\(|^\s*import\s|^\s*(?:const|let|await)\s/m

/**
 * The fenced blocks of one Markdown text.
 * @returns {{ line: number, info: string, language: string | null, code: string, before: string }[]}
 *   `line`: 1-based line of the opening fence; `before`: the paragraph right before it.
 */
function blocksOf(text) {
  const lines = text.split('\n')
  const blocks = []
  let prose = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i])
    if (!open) {
      prose.push(lines[i])
      continue
    }
    const fence = open[1]
    const start = i
    const body = []
    for (i++; i < lines.length && !lines[i].startsWith(fence); i++) body.push(lines[i])
    const paragraphs = prose
      .join('\n')
      .trim()
      .split(/\n\s*\n/)
    const info = open[2].toLowerCase()
    blocks.push({
      line: start + 1,
      info,
      language: LANGUAGES[info] || null,
      code: `${body.join('\n')}\n`,
      before: paragraphs[paragraphs.length - 1] || '',
    })
    prose = []
  }
  return blocks
}

/**
 * Every block of the documents of `packageRoot`, classified.
 * @returns {{ doc: string, line: number, language: string | null, code: string,
 *   kind: 'run' | 'typecheck' | 'fragment' | 'other' | 'unmarked', file?: string, command?: string }[]}
 */
function docBlocks(packageRoot = ROOT) {
  const all = []
  for (const doc of documents(packageRoot)) {
    for (const block of blocksOf(fs.readFileSync(path.join(packageRoot, doc), 'utf8'))) {
      all.push({ doc, ...classify(block) })
    }
  }
  return all
}

function classify(block) {
  const { line, language, code, before } = block
  const base = { line, language, code }
  if (!language) {
    const unmarked = (block.info === '' || block.info === 'text') && LOOKS_LIKE_JS.test(code)
    return { ...base, kind: unmarked ? 'unmarked' : 'other' }
  }
  if (FRAGMENT.test(code)) return { ...base, kind: 'fragment' }
  const saved = SAVE_AS.exec(before)
  if (!saved) return { ...base, kind: 'unmarked' }
  const file = saved[1]
  if (/\.(?:c|m)?ts$/.test(file)) return { ...base, kind: 'typecheck', file }
  const runner = RUN_WITH.exec(before)
  const command = runner && runner[2] === file ? runner[1] : 'node'
  return { ...base, kind: 'run', file, command }
}

/** Where a block is: `README.md:42`. */
const where = (block) => `${block.doc}:${block.line}`

/** A directory name of its own for a block's files. */
const dirOf = (block) => `${block.doc.replace(/[/.]/g, '_')}-${block.line}`

/**
 * Prepares `project` (a directory whose node_modules/upload-task is the package under test):
 * a CommonJS package.json when there is none, and links to this repository's ava, jest and
 * @types/node for the samples that need them.
 */
function prepareProject(project) {
  const manifest = path.join(project, 'package.json')
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, '{ "name": "doc-samples", "private": true }\n')
  fs.mkdirSync(path.join(project, 'node_modules', '@types'), { recursive: true })
  for (const name of ['ava', 'jest', '@types/node']) {
    const link = path.join(project, 'node_modules', name)
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(ROOT, 'node_modules', name), link, 'dir')
  }
}

/** A project in `dir` where `upload-task` is the repository itself (a symlink to its root). */
function linkedProject(dir) {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true })
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'upload-task'), 'dir')
  prepareProject(dir)
  return dir
}

/** Writes a block to its own directory of `project`; returns that directory. */
function saveBlock(project, block) {
  const dir = path.join(project, dirOf(block))
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, block.file), block.code)
  return dir
}

/** Runs a `run` block in `project`: resolves with its output, or rejects with what it printed. */
async function runBlock(project, block, { timeoutMs = 60000 } = {}) {
  const dir = saveBlock(project, block)
  const [file, args] =
    block.command === 'node'
      ? [process.execPath, [block.file]]
      : [path.join(ROOT, 'node_modules', '.bin', block.command.split(' ')[1]), [block.file]]
  if (block.command === 'npx jest') args.push('--rootDir', dir, '--ci')
  const env = { ...process.env, NODE_OPTIONS: '' }
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH
  delete env.AVA_FORCE_CI
  try {
    return await run(file, args, { cwd: dir, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const how = error.killed ? `was killed after ${timeoutMs} ms` : `exited with ${error.code}`
    throw new Error(`${where(block)} (${block.command} ${block.file}) ${how}:\n${error.stdout}${error.stderr}`)
  }
}

/** Type-checks the `typecheck` blocks together in `project` with tsc; rejects with its report. */
async function typecheckBlocks(project, blocks) {
  const files = blocks.map((block) => path.relative(project, path.join(saveBlock(project, block), block.file)))
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: ['node'],
      skipLibCheck: false,
    },
    files,
  }
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  try {
    await run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', project], { cwd: project, timeout: 120000 })
  } catch (error) {
    throw new Error(`tsc on ${blocks.map(where).join(', ')}:\n${error.stdout}${error.stderr}`)
  }
}

/** GitHub's anchor of a heading text. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a Markdown text's headings (repeats numbered `-1`, `-2` as GitHub does). */
function anchorsOf(text) {
  const seen = new Map()
  const anchors = new Set()
  let inFence = false
  for (const line of text.split('\n')) {
    if (/^(`{3,}|~{3,})/.test(line)) inFence = !inFence
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line)
    if (!heading) continue
    const base = slug(heading[1])
    const count = seen.get(base) || 0
    seen.set(base, count + 1)
    anchors.add(count ? `${base}-${count}` : base)
  }
  return anchors
}

/** The links `[text](target)` of a Markdown text, outside code, with their line numbers. */
function linksOf(text) {
  const links = []
  let inFence = false
  for (const [i, line] of text.split('\n').entries()) {
    if (/^(`{3,}|~{3,})/.test(line)) inFence = !inFence
    if (inFence) continue
    const prose = line.replace(/`[^`]*`/g, '')
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) links.push({ line: i + 1, target: match[1] })
  }
  return links
}

/**
 * The relative links of the documents of `packageRoot` that do not resolve there: to a file
 * that is missing (or, with `shipped`, not in that list of packed files), or to a heading anchor
 * that the target does not have. Absolute URLs are not checked here.
 * @param {string} packageRoot
 * @param {Set<string>} [shipped] the files the package ships, relative to its root
 * @returns {string[]} one line per dead link
 */
function deadLinks(packageRoot, shipped) {
  const dead = []
  for (const doc of documents(packageRoot)) {
    const text = fs.readFileSync(path.join(packageRoot, doc), 'utf8')
    for (const { line, target } of linksOf(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const [file, anchor] = target.split('#')
      const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc), file)) : doc
      const at = `${doc}:${line} → ${target}`
      const full = path.join(packageRoot, resolved)
      if (resolved.startsWith('..') || !fs.existsSync(full)) dead.push(`${at}: ${resolved} does not exist`)
      else if (shipped && fs.statSync(full).isFile() && !shipped.has(resolved))
        dead.push(`${at}: ${resolved} is not in the package`)
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(fs.readFileSync(full, 'utf8')).has(anchor))
        dead.push(`${at}: ${resolved} has no heading #${anchor}`)
    }
  }
  return dead
}

/** The links of the documents to files of the repository on GitHub (`<repository>/blob/<ref>/<path>`). */
function repositoryLinks(packageRoot, repository) {
  const found = []
  const prefix = new RegExp(`^${repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?:blob|tree)/[^/]+/([^#]+)`)
  for (const doc of documents(packageRoot)) {
    for (const { line, target } of linksOf(fs.readFileSync(path.join(packageRoot, doc), 'utf8'))) {
      const match = prefix.exec(target)
      if (match) found.push({ at: `${doc}:${line}`, path: decodeURIComponent(match[1]) })
    }
  }
  return found
}

module.exports = {
  ROOT,
  docBlocks,
  blocksOf,
  where,
  linkedProject,
  prepareProject,
  runBlock,
  typecheckBlocks,
  deadLinks,
  repositoryLinks,
  anchorsOf,
}
