'use strict'

/**
 * Whether an upload's connection was set up, as the command can see it from outside the
 * library: the first progress event that reports body bytes handed to the connection, or the
 * response head, whichever comes first. It serves `--connect-timeout` (exit 28 when neither came
 * in time). Progress events are throttled (docs/API.md §4: one is due at most 200 ms after bytes
 * moved, held back at most 50 ms more), so the moment is seen up to about 0.25 s late.
 */

/**
 * Watches `task` (an `UploadTask`); with `timeoutMs`, calls `onTimeout` once if the connection
 * was not set up by then.
 * @param {import('..').UploadTask} task
 * @param {{ timeoutMs?: number, onTimeout: () => void }} options
 * @returns {{ readonly timedOut: boolean, stop(): void }}
 */
function watchConnection(task, { timeoutMs, onTimeout }) {
  let connected = false
  let timedOut = false
  let timer = null
  const setUp = () => {
    connected = true
    clearTimeout(timer)
  }
  task.onProgressUpdate((event) => {
    if (event.totalBytesSent > 0) setUp()
  })
  task.onHeadersReceived(setUp)
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      if (connected) return
      timedOut = true
      onTimeout()
    }, timeoutMs)
  }
  return {
    get timedOut() {
      return timedOut
    },
    stop() {
      clearTimeout(timer)
    },
  }
}

module.exports = { watchConnection }
