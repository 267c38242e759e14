'use strict'

// axios with `maxRedirects: 0` (see axios.js).
const { run } = require('./_runner')
const { axiosUpload } = require('./axios')

run('axios (maxRedirects 0)', axiosUpload({ maxRedirects: 0 }))
