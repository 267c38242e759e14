'use strict'

// uploadFile under Jest's default modern fake timers (which fake setTimeout, setImmediate,
// process.nextTick, queueMicrotask, Date and performance), installed for the whole file and
// never advanced: uploads start, abort and settle in promise jobs and native callbacks, which
// are not faked (docs/API.md §1), and the deadline counts real time. The server of
// upload-task/testing keeps real time too (it uses `node:timers`).

const { performance } = require('node:perf_hooks') // Node's own clock; the global one is faked
const { uploadFile } = require('upload-task')
const { startServer, makeTempFile, closedPort, within } = require('upload-task/testing')
// Waits in real time (Node's own timers), also under the fake timers.
const { deferred, staysPending } = require('../__test__/helpers/wait.js')

jest.useFakeTimers()

let server
let file

beforeAll(async () => {
  server = await startServer()
  file = await makeTempFile(4 * 1024 * 1024)
})

afterAll(async () => {
  await server?.close()
  await file?.remove()
})

/**
 * Queues one callback in each faked queue; `ran` lists those that ran, and `first` resolves when
 * one does. None should: the clock is never advanced.
 */
function queueFakes() {
  const ran = []
  const first = deferred()
  const run = (name) => {
    ran.push(name)
    first.resolve()
  }
  setTimeout(() => run('setTimeout'), 0)
  setImmediate(() => run('setImmediate'))
  process.nextTick(() => run('nextTick'))
  queueMicrotask(() => run('queueMicrotask'))
  return { ran, first: first.promise }
}

afterEach(() => {
  jest.clearAllTimers()
})

test('the timers are fake: callbacks queued in them do not run by themselves', async () => {
  const { ran, first } = queueFakes()
  expect(await staysPending(first, 50)).toBe(true)
  expect(ran).toEqual([])
  expect(jest.getTimerCount()).toBe(4)
})

test('an upload resolves, with progress and headers listeners and callbacks, without advancing timers', async () => {
  const { ran } = queueFakes()
  const endpoint = server.endpoint({ status: 201, body: 'created' })
  const log = []
  const task = uploadFile({
    url: endpoint.url,
    filePath: file.path,
    name: 'file',
    success: () => log.push('success'),
    complete: () => log.push('complete'),
  })
    .onProgressUpdate(({ progress }) => log.push(progress))
    .onHeadersReceived(({ header }) => log.push(header['content-length']))

  await expect(task).resolves.toMatchObject({ statusCode: 201, data: 'created' })
  expect(log.slice(-4)).toEqual([100, '7', 'success', 'complete'])
  expect((await endpoint.received()).file.sha256).toBe(file.sha256)
  expect(ran).toEqual([])
  expect(jest.getTimerCount()).toBe(4) // the upload scheduled nothing in a faked queue
})

test('abort() rejects, in the same tick as the call and once the request is held by the server', async () => {
  const early = uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file' })
  early.abort()
  await expect(early).rejects.toMatchObject({ code: 'ABORT_ERR' })

  const endpoint = server.endpoint({ respond: false })
  const held = uploadFile({ url: endpoint.url, filePath: file.path, name: 'file' })
  await endpoint.arrived
  held.abort()
  await expect(held).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' })
  expect(jest.getTimerCount()).toBe(0)
})

test('failures reject: refused connection, missing file, bad argument', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/`
  await expect(uploadFile({ url, filePath: file.path, name: 'file' })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  await expect(uploadFile({ url, filePath: `${file.dir}/missing`, name: 'file' })).rejects.toMatchObject({
    code: 'ENOENT',
  })
  await expect(uploadFile({ url, filePath: file.path, name: 'file', timeout: '1' })).rejects.toMatchObject({
    code: 'ERR_INVALID_ARG_TYPE',
  })
})

test('the deadline counts real time: it passes without advancing the fake clock', async () => {
  const endpoint = server.endpoint({ respond: false })
  const start = performance.now()
  await expect(
    uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', timeout: 300 }),
  ).rejects.toMatchObject({ code: 'ETIMEDOUT' })
  expect(performance.now() - start).toBeGreaterThanOrEqual(290)
})

test('advancing the fake clock does not bring the deadline nearer', async () => {
  const endpoint = server.endpoint({ respond: false })
  const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', timeout: 60000 })
  await endpoint.received() // the whole body was sent; the server never answers
  jest.advanceTimersByTime(60 * 60 * 1000)
  expect(await staysPending(task, 200)).toBe(true) // not settled: the deadline is still far

  task.abort()
  await expect(task).rejects.toMatchObject({ code: 'ABORT_ERR' })
})

test("the test server's delayMs and within() keep real time under fake timers", async () => {
  const endpoint = server.endpoint({ delayMs: 100, body: 'late' })
  const start = performance.now()
  await expect(uploadFile({ url: endpoint.url, filePath: file.path, name: 'file' })).resolves.toMatchObject({
    data: 'late',
  })
  expect(performance.now() - start).toBeGreaterThanOrEqual(95)
  await expect(within(new Promise(() => {}), 50, 'nothing')).rejects.toThrow('nothing did not happen within 50 ms')
})
