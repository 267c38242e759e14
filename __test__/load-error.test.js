'use strict'

// Without a binary for this machine, `require('upload-task')` fails with
// ERR_UPLOAD_TASK_NO_BINARY, naming the package that should have provided it and the platforms
// that are built (package.json's `napi.targets`, as napi-rs names their packages: npm/<platform>).
// The package's JavaScript is copied without any .node file into a directory outside the
// repository, and required there in a child process. (__test__/pack.test.js checks the same on
// the packed package installed without its platform package.)

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const test = require('ava')
const { spawnNode, PACKAGE_DIR } = require('./helpers/child.js')

const pkg = require('../package.json')
const isLinuxGnuX64 =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  Boolean(process.report.getReport().header.glibcVersionRuntime)

/** A copy of the package's JavaScript (no binary) in a fresh temporary directory. */
function copyWithoutBinary(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-task-nobinary-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const name of ['package.json', 'index.js', 'binding.js', 'lib']) {
    fs.cpSync(path.join(PACKAGE_DIR, name), path.join(dir, name), { recursive: true })
  }
  return dir
}

/** The error of `require(dir)` in a child process without NAPI_RS_NATIVE_LIBRARY_PATH. */
async function requireError(dir) {
  const env = { ...process.env }
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH
  const script = `try { require(${JSON.stringify(dir)}); console.log('{"loaded":true}') }
    catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })) }`
  const { stdout, stderr, code } = await spawnNode(['-e', script], { cwd: dir, env }).done
  if (code !== 0) throw new Error(`node exited with ${code}:\n${stderr}`)
  return JSON.parse(stdout)
}

test('the load error names this platform package and every built platform', async (t) => {
  const out = await requireError(copyWithoutBinary(t))
  t.is(out.code, 'ERR_UPLOAD_TASK_NO_BINARY')
  const builtLine = out.message.split('\n').find((line) => line.startsWith('Prebuilt binaries exist for: '))
  t.truthy(builtLine, out.message)
  const listed = builtLine
    .slice('Prebuilt binaries exist for: '.length)
    .replace(/ \(packages .*$/, '')
    .split(', ')
  const packages = fs.readdirSync(path.join(PACKAGE_DIR, 'npm')) // one per napi target, named by napi-rs
  t.deepEqual([...listed].sort(), [...packages].sort())
  t.is(listed.length, pkg.napi.targets.length)
  t.false(out.message.includes('none listed'))
  t.true(out.message.includes('https://github.com/upload-task/upload-task'), out.message)
})

;(isLinuxGnuX64 ? test : test.skip)(
  'on linux x64 glibc it names upload-task-linux-x64-gnu as not installed',
  async (t) => {
    const out = await requireError(copyWithoutBinary(t))
    t.true(
      out.message.includes(`the package upload-task-linux-x64-gnu@${pkg.version}, which is not installed`),
      out.message,
    )
  },
)
