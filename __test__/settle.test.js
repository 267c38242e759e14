'use strict'

// Settlement (docs/API.md §3, §5): every HTTP status is a success with Node-style headers and
// cookies; failures are Errors with errMsg/code; the order of callbacks and the promise;
// the timeout deadline.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { closedPort, within } = require('../testing')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const file = useTempFile(test, 256 * 1024, { name: 'settle.txt' })

/** A response body with non-ASCII text on purpose: `data` must be decoded as UTF-8. */
function statusBody(status) {
  return `status ${status} – grüße ✓`
}

/** An endpoint answering `status` with a UTF-8 text body and repeated, mixed-case headers. */
function statusEndpoint(status) {
  return server.endpoint({
    status,
    headers: [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Set-Cookie', 'a=1; Path=/'],
      ['X-Repeat', 'first'],
      ['Set-Cookie', 'b=2; HttpOnly'],
      ['X-Repeat', 'second'],
      ['X-Custom-Case', 'Value'],
      ['X-Latin1', 'café'], // sent as the Latin-1 byte 0xE9
    ],
    body: statusBody(status),
  })
}

for (const status of [404, 500]) {
  test(`a ${status} response is a success with statusCode, data, header and cookies`, async (t) => {
    const endpoint = statusEndpoint(status)
    const seen = []
    const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', fail: () => t.fail('fail called') })
    task.onHeadersReceived((event) => seen.push(event))
    const result = await task

    t.deepEqual(Object.keys(result).sort(), ['attempts', 'cookies', 'data', 'errMsg', 'header', 'statusCode'])
    t.is(result.attempts, 1)
    t.is(result.errMsg, 'uploadFile:ok')
    t.is(result.statusCode, status)
    t.is(result.data, statusBody(status), 'the body, decoded as UTF-8')
    t.deepEqual(result.cookies, ['a=1; Path=/', 'b=2; HttpOnly'])

    const { header } = result
    t.is(Object.getPrototypeOf(header), Object.prototype, 'a plain object')
    for (const name of Object.keys(header)) t.is(name, name.toLowerCase(), `${name} is lower-case`)
    t.is(header['x-repeat'], 'first, second', 'repeated headers joined with ", "')
    t.deepEqual(header['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly'], 'set-cookie is an array')
    t.is(header['x-custom-case'], 'Value')
    t.is(header['x-latin1'], 'café', 'header values decoded as Latin-1, like Node')
    t.is(header['content-type'], 'text/plain; charset=utf-8')
    t.is(header['content-length'], String(Buffer.byteLength(statusBody(status))))

    t.is(seen.length, 1, 'onHeadersReceived called once')
    t.deepEqual(seen[0], { header })
    const rec = await endpoint.received()
    t.is(rec.file.sha256, file.sha256)
  })
}

test('onHeadersReceived fires when the headers arrive, before the response body is read', async (t) => {
  const endpoint = server.endpoint({
    headers: { 'Content-Type': 'text/plain' },
    body: 'the body, sent after release()',
    holdBody: true,
  })
  const log = []
  const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', success: () => log.push('success') })
  const headers = new Promise((resolve) => task.onHeadersReceived(resolve))
  // The server holds the body back until release(): only an early headers event can arrive.
  const event = await within(headers, 10000, 'the headers event while the body is held back')
  t.is(event.header['content-type'], 'text/plain')
  t.deepEqual(log, [])
  ;(await endpoint.arrived).release()
  const result = await task
  t.is(result.data, 'the body, sent after release()')
  t.deepEqual(log, ['success'])
})

test('a response without Set-Cookie has cookies []', async (t) => {
  const result = await uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file' })
  t.deepEqual(result.cookies, [])
  t.false('set-cookie' in result.header)
})

test('the returned value is a real Promise', (t) => {
  const task = uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file' })
  t.true(task instanceof Promise)
  t.is(Object.getPrototypeOf(task), Promise.prototype)
  return task
})

test('success order: success → complete → resolve, each exactly once', async (t) => {
  const log = []
  let successArg
  let completeArg
  const task = uploadFile({
    url: server.endpoint().url,
    filePath: file.path,
    name: 'file',
    success: (r) => {
      log.push('success')
      successArg = r
    },
    fail: () => log.push('fail'),
    complete: (r) => {
      log.push('complete')
      completeArg = r
    },
  })
  const result = await task
  log.push('resolved')
  t.deepEqual(log, ['success', 'complete', 'resolved'])
  t.is(successArg, result)
  t.is(completeArg, result)
})

test('failure order: fail → complete → reject, with ECONNREFUSED against a closed port', async (t) => {
  const port = await closedPort()
  const log = []
  let failArg
  const task = uploadFile({
    url: `http://127.0.0.1:${port}/up`,
    filePath: file.path,
    name: 'file',
    success: () => log.push('success'),
    fail: (e) => {
      log.push('fail')
      failArg = e
    },
    complete: () => log.push('complete'),
  })
  task.onHeadersReceived(() => log.push('headers'))
  const error = await t.throwsAsync(within(task, 10000, 'settlement'), { instanceOf: Error, code: 'ECONNREFUSED' })
  log.push('rejected')
  t.deepEqual(log, ['fail', 'complete', 'rejected'])
  t.is(failArg, error)
  t.true(error.errMsg.startsWith('uploadFile:fail '), error.errMsg)
  t.is(error.message, error.errMsg)
  t.true(Object.keys(error).includes('errMsg'), 'errMsg is an own enumerable property')
})

test('timeout against a server that never answers: uploadFile:fail timeout, ETIMEDOUT, connection closed', async (t) => {
  const endpoint = server.endpoint({ respond: false })
  const log = []
  const task = uploadFile({
    url: endpoint.url,
    filePath: file.path,
    name: 'file',
    timeout: 500,
    fail: () => log.push('fail'),
    complete: () => log.push('complete'),
  })
  const error = await t.throwsAsync(within(task, 10000, 'the timeout'), { instanceOf: Error })
  t.is(error.errMsg, 'uploadFile:fail timeout')
  t.is(error.message, 'uploadFile:fail timeout')
  t.is(error.code, 'ETIMEDOUT')
  t.deepEqual(log, ['fail', 'complete'])
  const rec = await endpoint.arrived
  await within(rec.socketClosed, 5000, 'the client closing the timed-out connection')
  t.pass()
})

test('timeout: Infinity means no deadline and 0 means the default; both upload normally', async (t) => {
  for (const timeout of [Infinity, 0]) {
    const result = await uploadFile({
      url: server.endpoint({ delayMs: 100 }).url,
      filePath: file.path,
      name: 'file',
      timeout,
    })
    t.is(result.statusCode, 200, `timeout ${timeout}`)
  }
})
