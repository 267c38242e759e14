'use strict'

// Docs that run: every JavaScript or TypeScript block of README.md, testing/README.md and
// docs/*.md is either runnable (its text says "save as `NAME`") or visibly a fragment (its first
// line is `// fragment: …`); the runnable ones run, as pasted, in a temporary project where
// `upload-task` is this package, and must exit 0; the TypeScript ones are type-checked against
// index.d.ts. The rules are in helpers/doc-blocks.js. Every relative link of those documents
// resolves inside the package as npm packs it; links to the repository name files it has.

const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { promisify } = require('node:util')
const test = require('ava')
const {
  ROOT,
  docBlocks,
  where,
  linkedProject,
  runBlock,
  typecheckBlocks,
  deadLinks,
  repositoryLinks,
} = require('./helpers/doc-blocks.js')

const pkg = require('../package.json')
const blocks = docBlocks(ROOT)
const runnable = blocks.filter((block) => block.kind === 'run')
const typed = blocks.filter((block) => block.kind === 'typecheck')

let project
test.before(() => {
  project = linkedProject(fs.mkdtempSync(path.join(os.tmpdir(), 'upload-task-docs-')))
})
test.after.always(() => {
  if (project) fs.rmSync(project, { recursive: true, force: true })
})

test('every JavaScript and TypeScript block is runnable or marked as a fragment', (t) => {
  const unmarked = blocks.filter((block) => block.kind === 'unmarked').map(where)
  t.deepEqual(unmarked, [], 'say "save as `name.mjs`" right before the block, or start it with `// fragment: …`')
  t.true(runnable.length >= 5, `only ${runnable.length} runnable blocks: ${runnable.map(where).join(', ')}`)
  t.true(typed.length >= 1, 'no TypeScript block is type-checked')
})

test('the README quick starts are runnable, in CommonJS and as ES modules', (t) => {
  const quickStarts = runnable.filter((block) => block.doc === 'README.md').map((block) => path.extname(block.file))
  t.true(quickStarts.includes('.js'), quickStarts.join(', '))
  t.true(quickStarts.includes('.mjs'), quickStarts.join(', '))
})

for (const block of runnable) {
  test.serial(`${where(block)}: ${block.command} ${block.file} exits 0`, async (t) => {
    const { stdout, stderr } = await runBlock(project, block)
    t.log(`${stdout}${stderr}`.trim().split('\n').slice(-4).join('\n'))
    t.pass()
  })
}

test.serial('the TypeScript blocks type-check against index.d.ts (tsc, strict, nodenext)', async (t) => {
  await typecheckBlocks(project, typed)
  t.pass(typed.map(where).join(', '))
})

test('every relative link resolves to a file npm packs, and to a heading that exists', async (t) => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  })
  const shipped = new Set(JSON.parse(stdout)[0].files.map((file) => file.path))
  for (const doc of ['README.md', 'testing/README.md', 'docs/API.md']) t.true(shipped.has(doc), `${doc} is not packed`)
  t.deepEqual(deadLinks(ROOT, shipped), [])
})

test('links to the repository name files that exist in it', (t) => {
  const repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
  t.is(pkg.homepage, `${repository}#readme`)
  t.is(pkg.bugs.url, `${repository}/issues`)
  const links = repositoryLinks(ROOT, repository)
  const missing = links.filter((link) => !fs.existsSync(path.join(ROOT, link.path)))
  t.deepEqual(
    missing.map((link) => `${link.at}: ${link.path}`),
    [],
  )
})

test('the README names its Development section near the top, with the demo and the test command CI runs', (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const lines = readme.split('\n')
  const firstSection = lines.findIndex((line) => /^## /.test(line))
  t.true(
    lines.slice(0, firstSection).some((line) => line.includes('](#development)')),
    'the contents before the first section link to #development',
  )
  const development = docBlocks(ROOT).find(
    (block) => block.doc === 'README.md' && block.line > lines.indexOf('## Development'),
  )
  t.truthy(development, 'a command block under ## Development')
  const commands = development.code
    .trim()
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
  t.deepEqual(commands, ['npm ci && npm run build && npm run demo', 'npm ci && npm run build && npm test'])
  t.truthy(pkg.scripts.demo && pkg.scripts.test)
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8').split('\n')
  t.true(ci.includes('npm test'), '.ci/run runs the test command the README gives')
})

test('the rules catch a block that is neither runnable nor a fragment, and untagged JavaScript', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-task-docs-rules-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const sections = [
    ['Plain:', 'js', "const { uploadFile } = require('upload-task')"],
    ['Untagged:', '', "const { uploadFile } = require('upload-task')"],
    ['Marked:', 'js', '// fragment: a shape'],
    ['A program (save as `a.mjs`, run `node a.mjs`):', 'mjs', 'console.log(1)'],
    ['A test (save as `b.test.js`, run `npx jest b.test.js`):', 'js', "test('x', () => {})"],
    ['Types (save as `c.ts`):', 'ts', 'export {}'],
    ['Shell:', 'sh', 'npm test'],
  ]
  const readme = sections.map(([prose, info, code]) => `${prose}\n\n\`\`\`${info}\n${code}\n\`\`\`\n`).join('\n')
  fs.writeFileSync(path.join(dir, 'README.md'), readme)
  const kinds = docBlocks(dir).map((block) => [block.kind, block.file, block.command])
  t.deepEqual(kinds, [
    ['unmarked', undefined, undefined],
    ['unmarked', undefined, undefined],
    ['fragment', undefined, undefined],
    ['run', 'a.mjs', 'node'],
    ['run', 'b.test.js', 'npx jest'],
    ['typecheck', 'c.ts', undefined],
    ['other', undefined, undefined],
  ])
})
