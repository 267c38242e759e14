'use strict'

/**
 * The Node.js floor, checked before anything else of the package loads (index.js and index.mjs
 * require this module first). On an older Node, loading the package throws an error with the
 * code `ERR_UPLOAD_TASK_NODE_VERSION` that names the version needed and the one running, instead
 * of failing later, somewhere, on an API that Node does not have yet. The floor has one owner:
 * `engines.node` in package.json, written `>= MAJOR[.MINOR[.PATCH]]`. Plain old syntax, so that
 * much older Nodes still get this far.
 */

const { engines } = require('../package.json')

/**
 * `[major, minor, patch]` of a `>= X[.Y[.Z]]` range.
 * @param {string} range
 * @returns {number[]}
 */
function parseFloor(range) {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim())
  if (!match) throw new TypeError(`upload-task: engines.node must read ">= X[.Y[.Z]]", not ${JSON.stringify(range)}`)
  return match.slice(1).map((part) => Number(part || 0))
}

/**
 * `[major, minor, patch]` of a Node version such as `20.20.2` (a `-pre` suffix is ignored).
 * @param {string} version
 * @returns {number[]}
 */
function parseVersion(version) {
  return String(version)
    .split('.')
    .slice(0, 3)
    .map((part) => Number.parseInt(part, 10) || 0)
}

/**
 * Whether `version` is at least the floor `range`.
 * @param {string} version  `process.versions.node`'s format
 * @param {string} range  engines.node's format
 */
function satisfies(version, range) {
  const have = parseVersion(version)
  const need = parseFloor(range)
  for (let i = 0; i < 3; i++) {
    if (have[i] !== need[i]) return have[i] > need[i]
  }
  return true
}

/**
 * Throws `ERR_UPLOAD_TASK_NODE_VERSION` when `version` is below package.json's engines.node.
 * @param {string} [version]  default: the running Node's
 */
function checkNode(version = process.versions.node) {
  if (satisfies(version, engines.node)) return
  const error = new Error(
    `upload-task needs Node.js ${engines.node} (package.json "engines"), and this is Node.js ${version}. ` +
      'Run it on a newer Node.js; the versions it is tested on are listed in its README.',
  )
  error.code = 'ERR_UPLOAD_TASK_NODE_VERSION'
  throw error
}

checkNode()

module.exports = { checkNode, satisfies }
