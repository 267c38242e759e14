// ESM entry: the same objects as the CommonJS entry, after the same Node version check.
import './lib/engine.js'
import upload from './index.js'

export const { uploadFile, UploadTask, UploadError, isUploadError, ErrorCode } = upload
export default upload
