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

function loadError(cause) {
  const expected = platformPackage()
  const provided = Object.keys(pkg.optionalDependencies || {})
  const known = provided.includes(expected)
  const lines = [
    `upload-task: no native binary for this machine (platform ${process.platform}, architecture ${process.arch}` +
      `${abi() ? `, libc/ABI ${abi()}` : ''}, Node ${process.version}).`,
    known
      ? `It comes in the package ${expected}@${pkg.version}, which is not installed: reinstall without --no-optional / --omit=optional, and make sure the package manager did not skip optional dependencies.`
      : `No prebuilt package exists for it (expected name ${expected}; built are: ${provided.join(', ') || 'none listed'}).`,
    'To build one from source (needs Node and Rust): in a clone of the source repository run `npm ci && npm run build`, then set NAPI_RS_NATIVE_LIBRARY_PATH to the path of the upload-task.*.node file it made.',
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
