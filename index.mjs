// ESM entry: the same objects as the CommonJS entry.
import upload from './index.js'

export const { uploadFile, UploadTask, UploadError, isUploadError, ErrorCode } = upload
export default upload
