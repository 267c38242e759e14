// Types of the ESM entry (index.mjs): the same declarations as the CommonJS entry, plus its
// default export (the whole module object).
import * as upload from './index.js'

export * from './index.js'
export default upload
