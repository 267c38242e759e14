'use strict'

// The package as a user gets it: `npm pack` of the main package and of this host's platform
// package (npm/linux-x64-gnu, with the binary that `bash scripts/ci-dist.sh build` put there:
// the glibc 2.17 floor build), both installed into an empty project with no network, then
// used there through require, import, one upload to a local server, and the CLI; the installed
// docs' relative links must resolve there and their runnable samples run there
// (helpers/doc-blocks.js), and without the platform package `require` names it.
//
// Offline: `npm install --offline` resolves dependencies from cached registry metadata, which
// `npm ci` does not store (it downloads tarballs only), so on a fresh cache it fails with
// ENOTCACHED. The project gets a package-lock.json instead: the two tarballs, and the
// production dependencies (busboy, cli-progress and theirs) with the versions, URLs and
// integrities of the repository's own lock, whose tarballs `npm ci` put in the npm cache.
// `npm ci --offline` installs from that alone.

const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { promisify } = require('node:util')
const test = require('ava')
const { docBlocks, where, prepareProject, runBlock, typecheckBlocks, deadLinks } = require('./helpers/doc-blocks.js')

const run = promisify(execFile)
const root = path.join(__dirname, '..')
const pkg = require('../package.json')
const platform = 'linux-x64-gnu'
const binaryName = `${pkg.napi.binaryName}.${platform}.node`
const platformDir = path.join(root, 'npm', platform)
const platformPackage = `${pkg.name}-${platform}`

const isHost =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  Boolean(process.report.getReport().header.glibcVersionRuntime)
const hasBinary = fs.existsSync(path.join(platformDir, binaryName))
const binFile = pkg.bin && path.join(root, Object.values(pkg.bin)[0])

/**
 * Without the binary in npm/linux-x64-gnu the pack tests are skipped (a developer's `npm test`
 * after `npm run build`, the test jobs of the release workflow), unless scripts/ci-dist.sh asks
 * for them with UPLOAD_TASK_PACK_TEST=required: then a missing binary fails.
 */
const required = process.env.UPLOAD_TASK_PACK_TEST === 'required'
const ready = isHost && (hasBinary || required)
const packTest = ready ? test.serial : test.skip
if (!ready) {
  test.skip(
    isHost
      ? `pack: npm/${platform} has no ${binaryName}; run \`bash scripts/ci-dist.sh build\` first`
      : `pack: checks the ${platform} package, and this host is ${process.platform}-${process.arch}`,
    () => {},
  )
}

const npmEnv = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
}
delete npmEnv.NAPI_RS_NATIVE_LIBRARY_PATH

async function npm(args, cwd) {
  try {
    return await run('npm', args, { cwd, env: npmEnv, maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed:\n${error.stderr || error.message}`)
  }
}

/** `npm pack` of `dir` into `dest`: the tarball's path, integrity and file list. */
async function pack(dir, dest) {
  const { stdout } = await npm(['pack', dir, '--json', '--pack-destination', dest], root)
  const [info] = JSON.parse(stdout)
  return { file: path.join(dest, info.filename), integrity: info.integrity, files: info.files.map((f) => f.path) }
}

/** The package.json inside a tarball. */
async function manifestOf(tarball) {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'])
  return JSON.parse(stdout)
}

/** A lock entry for a tarball, as npm writes one for a `file:` dependency. */
function tarballEntry(manifest, tarball, integrity, from) {
  const entry = { version: manifest.version, resolved: `file:${path.relative(from, tarball)}`, integrity }
  for (const key of ['license', 'dependencies', 'optionalDependencies', 'bin', 'engines', 'cpu', 'os', 'libc']) {
    if (manifest[key] !== undefined) entry[key] = manifest[key]
  }
  return entry
}

/** The production part of the repository's lock: every installed package that is not dev-only. */
function productionEntries() {
  const lock = require('../package-lock.json')
  const entries = {}
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.dev || entry.devOptional || entry.link) continue
    entries[key] = entry
  }
  return entries
}

/** An empty project with `tarballs` as its dependencies, installed offline. */
async function installProject(dir, tarballs) {
  fs.mkdirSync(dir, { recursive: true })
  const dependencies = {}
  const packages = {}
  for (const { name, manifest, file, integrity } of tarballs) {
    dependencies[name] = `file:${path.relative(dir, file)}`
    packages[`node_modules/${name}`] = tarballEntry(manifest, file, integrity, dir)
  }
  const manifest = { name: 'upload-task-pack-smoke', version: '1.0.0', private: true, dependencies }
  const lock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: manifest.name, version: manifest.version, dependencies },
      ...productionEntries(),
      ...packages,
    },
  }
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  fs.writeFileSync(path.join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`)
  await npm(['ci', '--offline', '--no-audit', '--no-fund'], dir)
}

/** Runs `code` with node in the project (CommonJS, or ESM with `esm`), and parses its JSON output. */
async function nodeIn(dir, code, { esm = false } = {}) {
  const args = esm ? ['--input-type=module', '-e', code] : ['-e', code]
  try {
    const { stdout } = await run(process.execPath, args, { cwd: dir, env: npmEnv, timeout: 60_000 })
    return JSON.parse(stdout)
  } catch (error) {
    throw new Error(`node ${esm ? '(ESM) ' : ''}in ${dir} failed:\n${error.stderr || error.message}`)
  }
}

let tmp
let main
let native
let app

test.before(async () => {
  if (!ready) return
  if (!hasBinary)
    throw new Error(`npm/${platform}/${binaryName} is missing: run \`bash scripts/ci-dist.sh build\` first`)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-task-pack-'))
  main = await pack(root, tmp)
  native = await pack(platformDir, tmp)
  main.manifest = await manifestOf(main.file)
  native.manifest = await manifestOf(native.file)
  app = path.join(tmp, 'app')
  await installProject(app, [
    { name: pkg.name, ...main },
    { name: platformPackage, ...native },
  ])
})

test.after.always(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

packTest('the main tarball has every file the package points at, lib/, testing/, cli/ and no binary', (t) => {
  const files = new Set(main.files)
  const wanted = new Set(['package.json', 'README.md', pkg.main, pkg.types])
  const walk = (value) => {
    if (typeof value === 'string') wanted.add(value.replace(/^\.\//, ''))
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v)
  }
  walk(pkg.exports)
  for (const target of Object.values(pkg.bin || {})) wanted.add(target)
  for (const dir of ['lib', 'testing', 'cli']) {
    if (!fs.existsSync(path.join(root, dir))) continue
    for (const entry of fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        wanted.add(path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    }
  }
  for (const name of ['binding.js', 'binding.d.ts', 'index.mjs']) wanted.add(name)
  const missing = [...wanted].filter((file) => fs.existsSync(path.join(root, file)) && !files.has(file))
  t.deepEqual(missing, [], `files the package needs but npm pack left out: ${missing.join(', ')}`)
  const absent = [...wanted].filter((file) => !fs.existsSync(path.join(root, file)) && !file.includes('*'))
  t.deepEqual(absent, [], `package.json points at files that do not exist: ${absent.join(', ')}`)
  t.true(files.has('package.json'))
  t.deepEqual(
    main.files.filter((file) => file.endsWith('.node')),
    [],
    'the main package ships no binary: those are the platform packages',
  )
})

packTest(`the ${platform} tarball holds the binary its manifest names, and is at the main version`, (t) => {
  t.is(native.manifest.name, platformPackage)
  t.is(native.manifest.version, pkg.version)
  t.is(native.manifest.main, binaryName)
  t.deepEqual(native.manifest.os, ['linux'])
  t.deepEqual(native.manifest.cpu, ['x64'])
  t.deepEqual(native.manifest.libc, ['glibc'])
  t.true(native.files.includes(binaryName), `${binaryName} is not in the tarball: ${native.files.join(', ')}`)
})

packTest('the installed binary needs no glibc above 2.17', async (t) => {
  const installed = path.join(app, 'node_modules', platformPackage, binaryName)
  const { stdout } = await run(process.execPath, [
    path.join(root, 'scripts', 'check-glibc.js'),
    '--max',
    '2.17',
    installed,
  ])
  t.regex(stdout, /<= 2\.17 ok/)
})

packTest('require("upload-task") loads the binary of the installed platform package', async (t) => {
  const out = await nodeIn(
    app,
    `const m = require('upload-task')
     const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
     console.log(JSON.stringify({
       keys: Object.keys(m).sort(),
       uploadFile: typeof m.uploadFile,
       UploadTask: typeof m.UploadTask,
       isUploadError: typeof m.isUploadError,
       ErrorCode: typeof m.ErrorCode,
       loaded,
       main: require.resolve('upload-task'),
     }))`,
  )
  t.is(out.uploadFile, 'function')
  t.is(out.UploadTask, 'function')
  t.is(out.isUploadError, 'function')
  t.is(out.ErrorCode, 'object')
  t.deepEqual(out.loaded, [fs.realpathSync(path.join(app, 'node_modules', platformPackage, binaryName))])
  t.is(out.main, fs.realpathSync(path.join(app, 'node_modules', pkg.name, 'index.js')))
})

packTest('import("upload-task") gives the same named exports and the default', async (t) => {
  const out = await nodeIn(
    app,
    `import * as m from 'upload-task'
     import { createRequire } from 'node:module'
     const cjs = createRequire(process.cwd() + '/')('upload-task')
     console.log(JSON.stringify({
       named: Object.keys(m).filter((k) => k !== 'default').sort(),
       cjs: Object.keys(cjs).sort(),
       sameUploadFile: m.uploadFile === cjs.uploadFile,
       sameDefault: m.default === cjs,
     }))`,
    { esm: true },
  )
  t.deepEqual(out.named, out.cjs)
  t.true(out.sameUploadFile)
  t.true(out.sameDefault)
})

packTest('one upload to a local server, with upload-task/testing from the installed package', async (t) => {
  const out = await nodeIn(
    app,
    `const { uploadFile } = require('upload-task')
     const { startServer, makeTempFile, within } = require('upload-task/testing')
     ;(async () => {
       const server = await startServer()
       const file = await makeTempFile(256 * 1024, { name: 'photo.png' })
       try {
         const ep = server.endpoint({ status: 201, body: 'created' })
         const result = await within(uploadFile({ url: ep.url, filePath: file.path, name: 'photo', formData: { a: 1 } }), 30000, 'the upload')
         const rec = await within(ep.received(), 30000, 'the record')
         console.log(JSON.stringify({ statusCode: result.statusCode, data: result.data, fields: rec.fields, file: rec.file, sha256: file.sha256 }))
       } finally {
         await file.remove()
         await server.close()
       }
     })().catch((error) => { console.error(error); process.exit(1) })`,
  )
  t.is(out.statusCode, 201)
  t.is(out.data, 'created')
  t.deepEqual(out.fields, [['a', '1']])
  t.is(out.file.field, 'photo')
  t.is(out.file.filename, 'photo.png')
  t.is(out.file.bytes, 256 * 1024)
  t.is(out.file.sha256, out.sha256)
})

;(ready && binFile && fs.existsSync(binFile) ? test.serial : test.skip)(
  'the CLI is linked: node_modules/.bin/upload-task --version',
  async (t) => {
    const bin = path.join(app, 'node_modules', '.bin', Object.keys(pkg.bin)[0])
    t.true(fs.existsSync(bin), `${bin} was not linked`)
    const { stdout } = await run(bin, ['--version'], { cwd: app, env: npmEnv })
    t.is(stdout.trim(), pkg.version)
  },
)

packTest('without the platform package, require names the package to install and the built platforms', async (t) => {
  const bare = path.join(tmp, 'bare')
  await installProject(bare, [{ name: pkg.name, ...main }])
  const out = await nodeIn(
    bare,
    `try { require('upload-task'); console.log(JSON.stringify({ loaded: true })) }
     catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })) }`,
  )
  t.is(out.code, 'ERR_UPLOAD_TASK_NO_BINARY')
  t.true(out.message.includes(`${platformPackage}@${pkg.version}, which is not installed`), out.message)
  const built = fs.readdirSync(path.join(root, 'npm')).sort() // one per napi target
  for (const platform of built) t.true(out.message.includes(platform), `${platform} is not named:\n${out.message}`)
})

packTest(
  'every relative link of the installed README, testing/README.md and docs/ resolves inside the package',
  (t) => {
    const installed = path.join(app, 'node_modules', pkg.name)
    for (const doc of ['README.md', 'testing/README.md', 'docs/API.md']) {
      t.true(fs.existsSync(path.join(installed, doc)), `${doc} is not installed`)
    }
    t.deepEqual(deadLinks(installed), [])
  },
)

packTest(
  'the runnable samples of the installed docs run in the project, and the TypeScript ones type-check',
  async (t) => {
    const installed = path.join(app, 'node_modules', pkg.name)
    const blocks = docBlocks(installed)
    const runnable = blocks.filter((block) => block.kind === 'run')
    t.true(
      runnable.some((block) => block.doc === 'README.md' && block.file.endsWith('.mjs')),
      'no ESM quick start',
    )
    t.true(
      runnable.some((block) => block.doc === 'README.md' && block.file.endsWith('.js')),
      'no CommonJS quick start',
    )
    const samples = path.join(app, 'samples')
    fs.mkdirSync(samples)
    prepareProject(app) // links ava, jest and @types/node of the repository for the test-file samples
    for (const block of runnable) await runBlock(samples, block)
    await typecheckBlocks(
      samples,
      blocks.filter((block) => block.kind === 'typecheck'),
    )
    t.pass(runnable.map(where).join(', '))
  },
)

test('prepublishOnly: napi pre-publish refuses while a declared platform has no binary', async (t) => {
  t.is(pkg.scripts.prepublishOnly, 'napi pre-publish -t npm')
  const missing = fs
    .readdirSync(path.join(root, 'npm'))
    .filter((dir) => !fs.existsSync(path.join(root, 'npm', dir, `${pkg.napi.binaryName}.${dir}.node`)))
  if (missing.length === 0) {
    t.log('every platform package has its binary here; nothing to refuse')
    return
  }
  const napi = path.join(root, 'node_modules', '.bin', 'napi')
  const error = await t.throwsAsync(run(napi, ['pre-publish', '-t', 'npm', '--dry-run'], { cwd: root, env: npmEnv }))
  t.regex(`${error.stdout}${error.stderr}`, /is incomplete: missing upload-task\.[\w-]+\.node/)
})

test('npm/ has one package per napi target, each at the main version', (t) => {
  const dirs = fs.readdirSync(path.join(root, 'npm')).sort()
  const names = dirs.map((dir) => require(path.join(root, 'npm', dir, 'package.json')))
  t.is(dirs.length, pkg.napi.targets.length)
  for (const [i, dir] of dirs.entries()) {
    t.is(names[i].name, `${pkg.name}-${dir}`)
    t.is(names[i].version, pkg.version, `npm/${dir} is at ${names[i].version}, the main package at ${pkg.version}`)
    t.deepEqual(names[i].files, [`${pkg.napi.binaryName}.${dir}.node`])
  }
})
