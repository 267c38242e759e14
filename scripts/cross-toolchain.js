#!/usr/bin/env node
'use strict'

/**
 * Puts the glibc 2.17 gcc toolchain that `napi build --use-napi-cross` uses where the CLI
 * looks for it, so the floor build works on a fresh machine:
 *
 *   node scripts/cross-toolchain.js [--target x86_64-unknown-linux-gnu]
 *
 * `napi build --use-napi-cross` takes the toolchain from
 * ~/.napi-rs/cross-toolchain/<version of @napi-rs/cross-toolchain>/<target>/ and skips its own
 * download when package.json is there. Its own download cannot run here, for two reasons
 * (docs/PLATFORMS.md): it unpacks with @napi-rs/lzma, whose native package for Linux needs
 * Node >= 22.20 and so is not installed on Node 20; and it asks the registry for the
 * toolchain package at its own version (1.0.5 with @napi-rs/cli 3.10.12), which the registry
 * does not have (the x64 -> x86_64 toolchain exists as 1.0.0). This script fetches the
 * toolchain package with `npm pack` (the newest one not newer than the CLI's, same major),
 * unpacks it with tar and xz, and leaves the rest to the CLI. Idempotent: a second run only
 * checks that the toolchain is there.
 */

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { createRequire } = require('node:module')

/** The napi-rs toolchain packages: `@napi-rs/cross-toolchain-<host arch>-target-<suffix>`. */
const suffixes = {
  'x86_64-unknown-linux-gnu': 'x86_64',
  'aarch64-unknown-linux-gnu': 'aarch64',
  'armv7-unknown-linux-gnueabihf': 'armv7',
  'powerpc64le-unknown-linux-gnu': 'ppc64le',
  's390x-unknown-linux-gnu': 's390x',
}
/** The directory and archive names inside a toolchain package, where they differ from the triple. */
const aliases = { 's390x-unknown-linux-gnu': 's390x-ibm-linux-gnu' }

function parseArgs(argv) {
  let target = 'x86_64-unknown-linux-gnu'
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target' || argv[i] === '-t') target = argv[++i]
    else if (argv[i].startsWith('--target=')) target = argv[i].slice('--target='.length)
    else throw new Error(`unknown argument ${argv[i]} (usage: node scripts/cross-toolchain.js [--target <triple>])`)
  }
  if (!suffixes[target])
    throw new Error(`no napi-rs cross toolchain for ${target}; known: ${Object.keys(suffixes).join(', ')}`)
  return { target }
}

/** The @napi-rs/cross-toolchain that the installed @napi-rs/cli loads, as the CLI resolves it. */
function cliToolchainVersion() {
  const cli = require.resolve('@napi-rs/cli', { paths: [path.join(__dirname, '..')] })
  return createRequire(cli)('@napi-rs/cross-toolchain/package.json').version
}

function compareVersions(a, b) {
  const x = a.split(/[.-]/).map(Number)
  const y = b.split(/[.-]/).map(Number)
  for (let i = 0; i < 3; i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0)
  return 0
}

function npm(args, options = {}) {
  return execFileSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options })
}

/** The toolchain package version to fetch: the CLI's own if published, else the newest older one of its major. */
function pickVersion(pkg, wanted) {
  const out = npm(['view', pkg, 'versions', '--json'])
  const published = [].concat(JSON.parse(out))
  if (published.includes(wanted)) return wanted
  const major = wanted.split('.')[0]
  const candidates = published
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.split('.')[0] === major && compareVersions(v, wanted) <= 0)
    .sort(compareVersions)
  if (candidates.length === 0) {
    throw new Error(
      `${pkg}: no version ${wanted} nor an older ${major}.x on the registry (published: ${published.join(', ')})`,
    )
  }
  return candidates[candidates.length - 1]
}

/** The glibc the toolchain's sysroot carries, read from its libc-<version>.so. */
function sysrootGlibc(dir, target) {
  const lib = path.join(dir, aliases[target] || target, 'sysroot', 'lib')
  const libc = fs.existsSync(lib) ? fs.readdirSync(lib).find((name) => /^libc-\d+\.\d+\.so$/.test(name)) : null
  return libc ? libc.slice('libc-'.length, -'.so'.length) : 'unknown'
}

function main() {
  const { target } = parseArgs(process.argv.slice(2))
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new Error(
      `the napi-rs cross toolchains run on Linux x64 and arm64 hosts, not ${process.platform}-${process.arch}`,
    )
  }
  const version = cliToolchainVersion()
  const dest = path.join(os.homedir(), '.napi-rs', 'cross-toolchain', version, target)
  if (fs.existsSync(path.join(dest, 'package.json'))) {
    console.log(`cross-toolchain: ${target} present in ${dest} (glibc ${sysrootGlibc(dest, target)})`)
    return
  }
  const pkg = `@napi-rs/cross-toolchain-${process.arch}-target-${suffixes[target]}`
  const picked = pickVersion(pkg, version)
  if (picked !== version) {
    console.log(`cross-toolchain: ${pkg}@${version} is not on the registry; using ${pkg}@${picked}`)
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-cross-'))
  const staging = `${dest}.partial-${process.pid}`
  try {
    const started = Date.now()
    const tgz = npm(['pack', `${pkg}@${picked}`, '--pack-destination', tmp, '--silent'])
      .trim()
      .split('\n')
      .pop()
    const archive = `package/${aliases[target] || target}.tar.xz`
    execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, archive], { stdio: 'inherit' })
    fs.rmSync(staging, { recursive: true, force: true })
    fs.mkdirSync(staging, { recursive: true })
    execFileSync('tar', ['-xJf', path.join(tmp, archive), '-C', staging], { stdio: 'inherit' })
    if (!fs.existsSync(path.join(staging, 'package.json')))
      throw new Error(`${pkg}@${picked}: no package.json in ${archive}`)
    fs.rmSync(dest, { recursive: true, force: true })
    fs.renameSync(staging, dest)
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    console.log(
      `cross-toolchain: ${pkg}@${picked} unpacked to ${dest} in ${seconds}s (glibc ${sysrootGlibc(dest, target)})`,
    )
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
    fs.rmSync(staging, { recursive: true, force: true })
  }
}

try {
  main()
} catch (error) {
  console.error(`cross-toolchain: ${error.message}`)
  process.exit(1)
}
