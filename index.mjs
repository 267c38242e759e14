// ESM entry: the same objects as the CommonJS entry.
import upload from './index.js'

export const { uploadFile, UploadTask } = upload
export default upload
