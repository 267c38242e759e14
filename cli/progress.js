'use strict'

/**
 * Progress on stderr: a live cli-progress bar on a terminal, plain periodic lines elsewhere
 * (a pipe, a file, a CI log), nothing with `--quiet`. Each reporter takes the upload's
 * progress events (docs/API.md §4) and is stopped once the upload settled.
 */

const cliProgress = require('cli-progress')
const { messageLine } = require('./usage.js')

/** How long the speed is averaged over, in ms. */
const SPEED_WINDOW_MS = 3000
/** The shortest time between two plain lines, in ms (the final line is never held back). */
const LINE_INTERVAL_MS = 1000

/** `n` bytes for people: `512 B`, `1.5 KiB`, `256.0 MiB`. */
function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** A duration in seconds for people: `7s`, `2m05s`, `1h02m`; `?` when unknown. */
function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  const pad = (n) => String(n).padStart(2, '0')
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`
  return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`
}

/**
 * The upload speed over the last `SPEED_WINDOW_MS`, from `(time, bytes)` samples, and the
 * time left at that speed.
 */
class Speedometer {
  constructor(now = Date.now()) {
    this.samples = [{ time: now, bytes: 0 }]
  }

  /** Records that `bytes` have been sent by `now`. */
  add(bytes, now = Date.now()) {
    this.samples.push({ time: now, bytes })
    while (this.samples.length > 2 && now - this.samples[1].time >= SPEED_WINDOW_MS) this.samples.shift()
  }

  /** Bytes per second over the window; 0 until time has passed. */
  bytesPerSecond() {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    const seconds = (last.time - first.time) / 1000
    return seconds > 0 ? (last.bytes - first.bytes) / seconds : 0
  }

  /** Seconds until `total` bytes at the current speed; `Infinity` while it is unknown. */
  secondsLeft(total) {
    const last = this.samples[this.samples.length - 1]
    if (last.bytes >= total) return 0
    const speed = this.bytesPerSecond()
    return speed > 0 ? (total - last.bytes) / speed : Number.POSITIVE_INFINITY
  }
}

/** The figures every reporter shows for one progress event. */
function figures(speedometer, { progress, totalBytesSent, totalBytesExpectedToSend }) {
  speedometer.add(totalBytesSent)
  return {
    progress,
    sent: formatBytes(totalBytesSent),
    size: formatBytes(totalBytesExpectedToSend),
    speed: `${formatBytes(Math.round(speedometer.bytesPerSecond()))}/s`,
    remaining: formatDuration(speedometer.secondsLeft(totalBytesExpectedToSend)),
  }
}

/**
 * A cli-progress bar on `stream` (a terminal): percent, bytes sent of total, speed and time
 * left. It starts with the first event, when the total is known.
 */
function barReporter(stream) {
  const speedometer = new Speedometer()
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {sent} / {size} | {speed} | ETA {remaining}',
      hideCursor: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(event) {
      const payload = figures(speedometer, event)
      if (!started) bar.start(event.totalBytesExpectedToSend, event.totalBytesSent, payload)
      else bar.update(event.totalBytesSent, payload)
      started = true
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

/**
 * Plain lines on `stream` (not a terminal): the first event, then at most one line per
 * `LINE_INTERVAL_MS`, and always the 100% line.
 */
function lineReporter(stream) {
  const speedometer = new Speedometer()
  let lastLine = Number.NEGATIVE_INFINITY
  return {
    update(event) {
      const f = figures(speedometer, event)
      const now = Date.now()
      if (event.progress < 100 && now - lastLine < LINE_INTERVAL_MS) return
      lastLine = now
      stream.write(messageLine(`${f.progress}% ${f.sent} / ${f.size}, ${f.speed}, ETA ${f.remaining}`))
    },
    stop() {},
  }
}

/** Shows nothing. */
function silentReporter() {
  return { update() {}, stop() {} }
}

/**
 * The reporter for `stream`: silent with `quiet`, a bar on a terminal, lines elsewhere.
 * @param {NodeJS.WriteStream} stream
 * @param {{ quiet: boolean }} options
 * @returns {{ update(event: import('..').ProgressEvent): void, stop(): void }}
 */
function progressReporter(stream, { quiet }) {
  if (quiet) return silentReporter()
  return stream.isTTY ? barReporter(stream) : lineReporter(stream)
}

module.exports = { progressReporter, formatBytes, formatDuration, Speedometer }
