'use strict'

// Many uploads at once, and keep-alive between sequential ones (docs/API.md §8).

const test = require('ava')
const { uploadFile } = require('../index.js')
const { startServer, within } = require('../testing')
const { useTempFile } = require('./helpers/setup.js')

const MiB = 1024 * 1024

const files = Array.from({ length: 20 }, (_, i) => useTempFile(test, 2 * MiB + i * 1000, { name: `c${i}.bin` }))

test.serial('20 uploads at once to one server all arrive byte-exact, each with its own fields', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  const endpoints = files.map(() => server.endpoint())
  const results = await within(
    Promise.all(
      files.map((file, i) =>
        uploadFile({ url: endpoints[i].url, filePath: file.path, name: `file${i}`, formData: { index: i } }),
      ),
    ),
    60000,
    '20 concurrent uploads',
  )
  for (const [i, result] of results.entries()) {
    t.is(result.statusCode, 200)
    const rec = await endpoints[i].received()
    t.true(rec.completed)
    t.deepEqual(rec.fields, [['index', String(i)]])
    t.is(rec.file.field, `file${i}`)
    t.is(rec.file.bytes, files[i].size)
    t.is(rec.file.sha256, files[i].sha256, `upload ${i} is byte-exact`)
    t.is(JSON.parse(result.data).id, endpoints[i].id, 'each task got its own response')
  }
  t.is(server.records.length, 20)
})

test.serial('sequential uploads to one origin reuse keep-alive connections', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  const count = 10
  for (let i = 0; i < count; i++) {
    const result = await uploadFile({ url: server.endpoint().url, filePath: files[i].path, name: 'file' })
    t.is(result.statusCode, 200)
  }
  t.is(server.records.length, count)
  t.log(`${server.connections} TCP connection(s) for ${count} sequential uploads`)
  t.true(server.connections < count, `${server.connections} connections`)
  t.true(server.connections <= 2, `${server.connections} connections`)
})

test.serial('a pooled connection the server closed meanwhile is not reused: the next upload succeeds', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  for (let i = 0; i < 5; i++) {
    const endpoint = server.endpoint()
    t.is((await uploadFile({ url: endpoint.url, filePath: files[i].path, name: 'file' })).statusCode, 200)
    const rec = await endpoint.arrived
    server.closeIdleConnections()
    await within(rec.socketClosed, 5000, 'the server closing the idle connection')
    const again = await uploadFile({ url: server.endpoint().url, filePath: files[i].path, name: 'file' })
    t.is(again.statusCode, 200)
  }
})
