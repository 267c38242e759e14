'use strict'

// What an error message may carry (README, Reliability; docs/API.md §3): never the credentials,
// query or fragment of the URL (not even of one that does not parse), never a NUL byte, and one
// line even when the error behind it spans several; a bad option is a parameter error before
// anything is sent.

const util = require('node:util')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { closedPort } = require('../testing')
const { assertNothingArrived } = require('./helpers/assert.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf } = require('./helpers/wait.js')

const server = useServer(test)
const small = useTempFile(test, 4 * 1024, { name: 'small.bin' })

/** The texts a caller may show of `error`: its errMsg, its stack, and util.inspect of it. */
function shownTexts(error) {
  return [
    ['errMsg', error.errMsg],
    ['stack', error.stack],
    ['inspect', util.inspect(error, { depth: 5 })],
  ]
}

test('a NUL byte in any string option is ERR_INVALID_ARG_VALUE (in a header value ERR_INVALID_CHAR), and the server receives nothing', async (t) => {
  const endpoint = server.endpoint()
  const base = () => ({ url: endpoint.url, filePath: small.path, name: 'file' })
  const cases = {
    url: { url: `${endpoint.url}?a=\0` },
    filePath: { filePath: `${small.path}\0.txt` },
    name: { name: 'fi\0le' },
    fileName: { fileName: 'a\0.txt' },
    'header name': { header: { 'X-Na\0me': 'value' } },
    formData: { formData: { 'k\0ey': 'value' } },
    'formData value': { formData: { key: 'va\0lue' } },
  }
  for (const [what, change] of Object.entries(cases)) {
    const error = await failureOf(uploadFile({ ...base(), ...change }), 5000)
    t.is(error.code, 'ERR_INVALID_ARG_VALUE', what)
    t.regex(error.errMsg, /^uploadFile:fail parameter error: parameter\.\w+ /, what)
    t.false(error.errMsg.includes('\0'), `${what}: the errMsg does not carry the NUL`)
  }
  // In a header value NUL is one of the characters Node refuses there: its own code.
  const error = await failureOf(uploadFile({ ...base(), header: { 'X-Value': 'a\0b' } }), 5000)
  t.is(error.code, 'ERR_INVALID_CHAR', 'header value')
  t.false(error.errMsg.includes('\0'), 'header value: the errMsg does not carry the NUL')
  await assertNothingArrived(t, server, endpoint, small.path)
})

test('the credentials of a URL that does not parse appear nowhere in the error', async (t) => {
  const error = await failureOf(uploadFile({ url: 'http://user:SECRET@[bad', filePath: small.path, name: 'file' }))
  t.is(error.code, 'ERR_INVALID_ARG_VALUE')
  for (const [what, text] of shownTexts(error)) {
    t.false(text.includes('SECRET'), `${what}: ${text}`)
  }
})

test('a refused connection names host, port and path, but not the password, query or fragment', async (t) => {
  const port = await closedPort()
  const url = `http://user:SECRET@127.0.0.1:${port}/p?sig=SIGNATURE#frag`
  const error = await failureOf(uploadFile({ url, filePath: small.path, name: 'file' }))
  t.is(error.code, 'ECONNREFUSED')
  t.log(error.errMsg)
  for (const [what, text] of shownTexts(error)) {
    for (const secret of ['SECRET', 'SIGNATURE', 'sig=', 'user', 'frag'])
      t.false(text.includes(secret), `${what} has ${secret}: ${text}`)
  }
  t.true(error.errMsg.includes(`127.0.0.1:${port}/p`), error.errMsg)
})

test('formData with a circular object is ERR_INVALID_ARG_VALUE with a one-line errMsg and the TypeError as cause', async (t) => {
  const circular = { a: 1 }
  circular.self = circular
  const endpoint = server.endpoint()
  const error = await failureOf(
    uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', formData: { circular } }),
  )
  t.is(error.code, 'ERR_INVALID_ARG_VALUE')
  t.false(error.errMsg.includes('\n'), error.errMsg)
  t.regex(error.errMsg, /^uploadFile:fail parameter error: .*circular/i)
  t.true(error.cause instanceof TypeError)
  const firstLine = error.cause.message.split('\n')[0]
  t.true(error.cause.message.includes('\n'), 'the TypeError itself spans several lines')
  t.true(error.errMsg.endsWith(`: ${firstLine}`), error.errMsg)
  t.true(error.errMsg.includes('formData'), `the errMsg names formData: ${error.errMsg}`)
  await assertNothingArrived(t, server, endpoint, small.path)
})
