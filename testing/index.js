'use strict'

/**
 * upload-task/testing: a real local server for testing code that uploads with upload-task.
 * The uploads run in native code, so HTTP mocking libraries (nock, msw, undici's MockAgent)
 * never see them; this server receives them over TCP and records what actually arrived.
 * See README.md in this folder.
 */

const { startServer, closedPort } = require('./server.js')
const { makeTempFile, sha256File } = require('./files.js')
const { createCertificates } = require('./tls.js')
const { within } = require('./wait.js')

module.exports = { startServer, closedPort, makeTempFile, sha256File, createCertificates, within }
