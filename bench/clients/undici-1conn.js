'use strict'

// undici.request as in `undici.js`, through an Agent limited to one connection per origin
// (`connections: 1`): with allowH2, all uploads share one HTTP/2 connection.
const { run } = require('./_runner')
const { undiciUpload } = require('./undici')

run('undici.request, connections: 1', undiciUpload({ connections: 1 }))
