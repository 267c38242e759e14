'use strict'

/** Files for one test: temporary directories, sparse files, and whether this process has a file open. */

const fs = require('node:fs')
const fsp = require('node:fs/promises')
const os = require('node:os')
const path = require('node:path')

/**
 * A fresh directory under os.tmpdir() (with `mode`, if given), removed when the test ends.
 * @param {import('ava').ExecutionContext} t
 * @param {number} [mode]
 */
async function tempDir(t, mode) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-test-'))
  if (mode !== undefined) await fsp.chmod(dir, mode)
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  return dir
}

/** A sparse file of `size` bytes (zeros, no disk blocks), removed when the test ends. */
async function sparseFile(t, size, name = 'sparse.bin') {
  const file = path.join(await tempDir(t), name)
  await fsp.writeFile(file, '')
  await fsp.truncate(file, size)
  return file
}

/** Whether this process has a descriptor open on `file` (its links in /proc/self/fd), even deleted. */
function hasOpen(file) {
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const link = fs.readlinkSync(`/proc/self/fd/${fd}`)
      if (link === file || link === `${file} (deleted)`) return true
    } catch {
      // closed between readdir and readlink
    }
  }
  return false
}

module.exports = { tempDir, sparseFile, hasOpen }
