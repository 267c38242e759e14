'use strict'

/**
 * The native binding, loaded once by the generated loader (`binding.js`). When no binary fits
 * this machine, the error says which platform it is, which package should have provided the
 * binary, and how to build one from source, instead of the generated loader's generic message.
 */

const pkg = require('../package.json')

/** `gnu` or `musl` on Linux, `msvc` on Windows, nothing elsewhere (napi-rs' ABI suffixes). */
function abi() {
  if (process.platform === 'win32') return 'msvc'
  if (process.platform !== 'linux') return null
  try {
    return process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'
  } catch {
    return 'gnu'
  }
}

/** The name napi-rs gives the per-platform package for this machine. */
function platformPackage() {
  return [pkg.name, process.platform, process.arch, abi()].filter(Boolean).join('-')
}

/** napi-rs' names of the parts of a Rust target triple, as its per-platform packages use them. */
const ARCHES = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }
const SYSTEMS = { linux: 'linux', darwin: 'darwin', windows: 'win32', freebsd: 'freebsd' }

/** `x86_64-unknown-linux-gnu` → `linux-x64-gnu`: the platform part of a package's name. */
function platformOfTarget(triple) {
  const [arch, , system, abi] = triple.split('-')
  return [SYSTEMS[system] || system, ARCHES[arch] || arch, system === 'darwin' ? null : abi].filter(Boolean).join('-')
}

/** The platforms a binary is built for: package.json's `napi.targets`, the release workflow's list. */
function builtPlatforms() {
  return (pkg.napi?.targets || []).map(platformOfTarget)
}

/** The source repository's web address, from package.json's `repository`. */
function repositoryUrl() {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url
  return url ? url.replace(/^git\+/, '').replace(/\.git$/, '') : 'the source repository'
}

function loadError(cause) {
  const expected = platformPackage()
  const built = builtPlatforms()
  const known = built.some((platform) => `${pkg.name}-${platform}` === expected)
  const lines = [
    `upload-task: no native binary for this machine (platform ${process.platform}, architecture ${process.arch}` +
      `${abi() ? `, libc/ABI ${abi()}` : ''}, Node ${process.version}).`,
    known
      ? `It comes in the package ${expected}@${pkg.version}, which is not installed: reinstall without --no-optional / --omit=optional, and make sure the package manager did not skip optional dependencies.`
      : `No prebuilt package exists for it (expected name ${expected}).`,
    `Prebuilt binaries exist for: ${built.join(', ') || 'no platform'} (packages ${pkg.name}-<platform>).`,
    `To build one from source (needs Node and Rust): in a clone of ${repositoryUrl()} run \`npm ci && npm run build\`, then set NAPI_RS_NATIVE_LIBRARY_PATH to the path of the upload-task.*.node file it made.`,
  ]
  const error = new Error(lines.join('\n'), { cause })
  error.code = 'ERR_UPLOAD_TASK_NO_BINARY'
  return error
}

let binding
try {
  binding = require('../binding.js')
} catch (cause) {
  throw loadError(cause)
}

module.exports = binding
