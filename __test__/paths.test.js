'use strict'

// Paths that are not plain regular files (README, Reliability): a FIFO, a Unix socket or a device
// fails with ERR_NOT_REGULAR_FILE at once, and nothing is sent; a file that reports size 0 but has
// content (/proc) is sent whole with its real length; a symlink loop, a path through a regular
// file and an over-long name fail with Node's codes and wording.

const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const net = require('node:net')
const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { sha256File } = require('../testing')
const { assertNothingArrived } = require('./helpers/assert.js')
const { tempDir } = require('./helpers/files.js')
const { nodeOpenError } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf, outcomeOf, resultOf, within } = require('./helpers/wait.js')

const server = useServer(test)
const small = useTempFile(test, 4 * 1024, { name: 'small.bin' })

test.serial(
  '600 uploads of a FIFO at once all fail with ERR_NOT_REGULAR_FILE; an upload right after succeeds',
  async (t) => {
    const fifo = path.join(await tempDir(t), 'pipe')
    execFileSync('mkfifo', [fifo])
    const endpoint = server.endpoint()
    const started = Date.now()
    const outcomes = await within(
      Promise.all(
        Array.from({ length: 600 }, () => outcomeOf(uploadFile({ url: endpoint.url, filePath: fifo, name: 'file' }))),
      ),
      5000,
      '600 FIFO uploads settling',
    )
    t.log(`600 FIFO uploads settled in ${Date.now() - started} ms`)
    const codes = new Set(outcomes.map((o) => o.error?.code))
    t.deepEqual([...codes], ['ERR_NOT_REGULAR_FILE'])
    t.is(outcomes[0].error.errMsg, `uploadFile:fail not a regular file: '${fifo}'`)
    t.is(endpoint.records().length, 0, 'nothing was sent')

    const normal = server.endpoint()
    const result = await resultOf(uploadFile({ url: normal.url, filePath: small.path, name: 'file' }), 5000)
    t.is(result.statusCode, 200)
    t.is((await normal.received()).file.sha256, small.sha256)
    await assertNothingArrived(t, server, endpoint, small.path)
  },
)

test.serial('a Unix socket and /dev/null fail with ERR_NOT_REGULAR_FILE', async (t) => {
  const sockPath = path.join(await tempDir(t), 'sock')
  const unix = net.createServer((socket) => socket.destroy())
  await new Promise((resolve) => unix.listen(sockPath, resolve))
  t.teardown(() => new Promise((resolve) => unix.close(resolve)))
  const endpoint = server.endpoint()
  for (const filePath of [sockPath, '/dev/null']) {
    const error = await failureOf(uploadFile({ url: endpoint.url, filePath, name: 'file' }), 5000)
    t.is(error.code, 'ERR_NOT_REGULAR_FILE', filePath)
    t.is(error.errMsg, `uploadFile:fail not a regular file: '${filePath}'`)
  }
  t.is(endpoint.records().length, 0)
  await assertNothingArrived(t, server, endpoint, small.path)
})

test.serial('/proc/version (stat size 0) arrives whole, and totalBytesExpectedToSend counts it', async (t) => {
  const content = fs.readFileSync('/proc/version')
  t.is(fs.statSync('/proc/version').size, 0, 'the scenario needs a file that reports size 0')
  t.true(content.length > 0)
  const endpoint = server.endpoint()
  const events = []
  const result = await resultOf(
    uploadFile({ url: endpoint.url, filePath: '/proc/version', name: 'file' }).onProgressUpdate((e) => events.push(e)),
  )
  t.is(result.statusCode, 200)
  const rec = await endpoint.received()
  t.is(rec.file.bytes, content.length)
  t.is(rec.file.sha256, crypto.createHash('sha256').update(content).digest('hex'))
  t.is(rec.file.filename, 'version')
  const last = events.at(-1)
  t.is(last.progress, 100)
  t.is(last.totalBytesExpectedToSend, rec.bytesReceived)
  t.is(rec.headers['content-length'], String(rec.bytesReceived))

  // The same bytes in a regular file with the same name give the same total.
  const copy = path.join(await tempDir(t), 'version')
  await fsp.writeFile(copy, content)
  const twin = server.endpoint()
  const twinEvents = []
  await resultOf(
    uploadFile({ url: twin.url, filePath: copy, name: 'file' }).onProgressUpdate((e) => twinEvents.push(e)),
  )
  t.is(twinEvents.at(-1).totalBytesExpectedToSend, last.totalBytesExpectedToSend)
  t.is((await twin.received()).file.sha256, await sha256File(copy))
})

test.serial("ELOOP, ENOTDIR and ENAMETOOLONG carry Node's code and wording", async (t) => {
  const dir = await tempDir(t)
  const loopA = path.join(dir, 'loop-a')
  fs.symlinkSync(path.join(dir, 'loop-b'), loopA)
  fs.symlinkSync(loopA, path.join(dir, 'loop-b'))
  const regular = path.join(dir, 'file.txt')
  fs.writeFileSync(regular, 'x')
  const endpoint = server.endpoint()
  for (const [code, filePath] of [
    ['ELOOP', loopA],
    ['ENOTDIR', path.join(regular, 'x')],
    ['ENAMETOOLONG', path.join(dir, 'n'.repeat(300))],
  ]) {
    const error = await failureOf(uploadFile({ url: endpoint.url, filePath, name: 'file' }), 5000)
    t.is(error.code, code)
    t.is(error.errMsg, `uploadFile:fail ${nodeOpenError(filePath)}`, code)
  }
  t.is(endpoint.records().length, 0)
  await assertNothingArrived(t, server, endpoint, small.path)
})
