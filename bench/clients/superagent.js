'use strict'

// superagent's .field() and .attach(name, path).
const superagent = require('superagent')
const { run, FILE_FIELD } = require('./_runner')

run('superagent', async ({ url, file, fields, id }) => {
  const req = superagent.post(url).buffer(true).parse(superagent.parse.text)
  if (id) req.set('x-bench-id', id)
  for (const [k, v] of Object.entries(fields)) req.field(k, v)
  const res = await req.attach(FILE_FIELD, file)
  return res.text
})
