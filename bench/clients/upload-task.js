'use strict'

// upload-task itself: uploadFile({ url, filePath, name, formData }), plus `ca` and
// `enableHttp2: true` / `enableQuic: true` in the TLS scenarios (only when asked, so the other scenarios use the
// default client).
const { run, FILE_FIELD } = require('./_runner')

/** Runs the upload-task runner as `client`, with the `uploadFile` of one build. */
function runner(client, uploadFile) {
  run(
    client,
    ({ url, file, fields, signal, id, listeners, onProgress, ca, http2, quic }) => {
      const task = uploadFile({
        url,
        filePath: file,
        name: FILE_FIELD,
        formData: fields,
        header: id ? { 'x-bench-id': id } : {},
        timeout: Infinity,
        ...(ca ? { ca } : {}),
        ...(http2 ? { enableHttp2: true } : {}),
        ...(quic ? { enableQuic: true } : {}),
      })
      // `listeners` progress listeners; the first one counts the events.
      if (onProgress) {
        task.onProgressUpdate(onProgress)
        for (let i = 1; i < listeners; i++) task.onProgressUpdate(() => {})
      }
      if (signal) signal.addEventListener('abort', () => task.abort(), { once: true })
      return task.then((res) => {
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.data}`)
        return res.data
      })
    },
    { progress: true },
  )
}

if (require.main === module) runner('upload-task', require('../..').uploadFile)

module.exports = { runner }
