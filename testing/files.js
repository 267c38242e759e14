'use strict'

/** Temp files with random content, and streaming SHA-256. */

const crypto = require('node:crypto')
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const os = require('node:os')
const path = require('node:path')

const BLOCK = 1024 * 1024

/**
 * A temp file and what it holds.
 * @typedef {object} TempFile
 * @property {string} path
 * @property {string} dir      its own directory under os.tmpdir()
 * @property {number} size
 * @property {string} sha256   hex digest of the content
 * @property {() => Promise<void>} remove  deletes the file and its directory
 */

/**
 * Creates a temp file of `size` bytes of random content in its own directory under
 * os.tmpdir(), hashing it while writing. Content is random 1 MiB blocks; above `randomUpTo`
 * bytes, one random block is repeated with each copy stamped with its index (still unique per
 * MiB, so reordered or repeated chunks change the hash), which is much faster.
 * @param {number} size
 * @param {{ name?: string, randomUpTo?: number }} [options]  `name`: the file name
 *   (default upload.bin); `randomUpTo`: default 64 MiB
 * @returns {Promise<TempFile>}
 */
async function makeTempFile(size, { name = 'upload.bin', randomUpTo = 64 * BLOCK } = {}) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-test-'))
  const filePath = path.join(dir, name)
  const hash = crypto.createHash('sha256')
  const handle = await fsp.open(filePath, 'w')
  const base = crypto.randomBytes(BLOCK)
  try {
    for (let offset = 0, index = 0; offset < size; offset += BLOCK, index++) {
      const length = Math.min(BLOCK, size - offset)
      let block
      if (size <= randomUpTo) {
        block = crypto.randomBytes(length)
      } else {
        block = Buffer.from(base.subarray(0, length))
        if (length >= 8) block.writeBigUInt64LE(BigInt(index), 0)
      }
      hash.update(block)
      await handle.write(block, 0, length)
    }
  } finally {
    await handle.close()
  }
  return {
    path: filePath,
    dir,
    size,
    sha256: hash.digest('hex'),
    remove: () => fsp.rm(dir, { recursive: true, force: true }),
  }
}

/**
 * SHA-256 of a file, streamed.
 * @param {string} filePath
 * @returns {Promise<string>} hex digest
 */
function sha256File(filePath) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256')
    fs.createReadStream(filePath)
      .on('error', reject)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
  })
}

module.exports = { makeTempFile, sha256File }
