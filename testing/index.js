'use strict'

/**
 * upload-task/testing: a real local server for testing code that uploads with upload-task.
 * The uploads run in native code, so HTTP mocking libraries (nock, msw, undici's MockAgent)
 * never see them; this server receives them over TCP and records what actually arrived.
 * See README.md in this folder, index.d.ts for the types, and docs/TESTING.md for its use with
 * Jest and ava.
 *
 * - `startServer(options?)`: a recording HTTP(S) server on 127.0.0.1 (server.js)
 * - `listen(server)`: any node:http, https or http2 server on 127.0.0.1, closed without waiting
 *   for idle connections (server.js)
 * - `closedPort()`: a port where nothing listens (server.js)
 * - `makeTempFile(size, options?)`, `sha256File(path)`: files and their digests (files.js)
 * - `createCertificates()`: the generated CA and server certificate of `tls` (tls.js)
 * - `within(promise, ms, what)`: a wait that fails after `ms` of real time (wait.js)
 */

const { startServer, listen, closedPort } = require('./server.js')
const { makeTempFile, sha256File } = require('./files.js')
const { createCertificates } = require('./tls.js')
const { within } = require('./wait.js')

module.exports = { startServer, listen, closedPort, makeTempFile, sha256File, createCertificates, within }
