//! Reads the file for the body, one large chunk at a time, on the thread that writes the socket.
//!
//! On Linux a chunk that is already in the page cache is read at once with
//! `preadv2(RWF_NOWAIT)`, which never blocks: no hand-off to another thread, no extra thread
//! competing for the CPU with the socket writes (on a 2-core machine that is what decides the
//! upload's speed). Only a chunk that would wait for the disk goes to tokio's blocking pool.
//! Elsewhere every chunk is read on the blocking pool. Memory stays at one chunk in flight.

use std::fs::File;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::error::{ErrorCode, UploadError};

/// Bytes read from disk in one go; large reads keep syscalls per GiB low.
pub const CHUNK_SIZE: usize = 1 << 20;

/// A file that reports no size (`/proc`, `/sys`) is read whole before sending, up to this much.
const UNSIZED_LIMIT: usize = 16 << 20;

/// A chunk of the file, or why the file could not be read whole.
pub type Chunk = Result<Bytes, UploadError>;

/// The open file, shared with the reads in flight and with a [`FileCloser`].
type SharedFile = Arc<Mutex<Option<Arc<File>>>>;

/// Closes a [`FileSource`]'s file from outside the body: the body may sit unpolled in a
/// connection that waits on a server that stopped reading, long after the upload settled.
pub struct FileCloser(SharedFile);

impl FileCloser {
    /// Closes the file now, or as soon as a read in flight ends; later reads fail.
    pub fn close(&self) {
        take_file(&self.0);
    }
}

fn take_file(shared: &SharedFile) -> Option<Arc<File>> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
}

/// The open file of one upload and how far it has been read.
pub struct FileSource {
    file: SharedFile,
    path: Arc<str>,
    len: u64,
    offset: u64,
    pending: Option<JoinHandle<Chunk>>,
    /// The contents of a file that reported no size, read whole when it was opened.
    prefetched: Option<Bytes>,
    /// Whether the file is known to hold nothing past `len`.
    end_checked: bool,
}

impl FileSource {
    /// Opens `path` (off the async threads) and checks that it is a regular file; one that
    /// reports no size is read whole now, so that its real length is announced.
    pub async fn open(path: String) -> Result<FileSource, UploadError> {
        let path: Arc<str> = path.into();
        let for_open = path.clone();
        let opened = tokio::task::spawn_blocking(move || open_regular_file(&for_open))
            .await
            .unwrap_or_else(|e| Err(UploadError::from_join(&e, "opening the file")))?;
        let (file, len, prefetched) = opened;
        Ok(FileSource {
            file: Arc::new(Mutex::new(Some(Arc::new(file)))),
            path,
            len,
            offset: 0,
            pending: None,
            prefetched,
            end_checked: false,
        })
    }

    /// Opens the file again to send it once more: it must still have the length announced.
    pub async fn reopen(path: &str, len: u64) -> Result<FileSource, UploadError> {
        let source = FileSource::open(path.to_string()).await?;
        if source.len() != len {
            return Err(UploadError::file_changed());
        }
        Ok(source)
    }

    /// A handle that closes this file, whoever holds the source by then.
    pub fn closer(&self) -> FileCloser {
        FileCloser(self.file.clone())
    }

    /// The file, unless it was closed.
    fn file(&self) -> Option<Arc<File>> {
        self.file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The file's size when it was opened: the size the body announces.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The next chunk; `None` once exactly `len()` bytes were read and the file is known not to
    /// have grown. A file that shrank or grew yields an `ERR_FILE_CHANGED` error instead of its
    /// last chunk.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
        if let Some(read) = self.pending.as_mut() {
            let joined = ready!(Pin::new(read).poll(cx));
            self.pending = None;
            let chunk = joined.unwrap_or_else(|e| Err(UploadError::from_join(&e, "the file read")));
            return Poll::Ready(Some(self.advance(chunk)));
        }
        let Some(file) = self.file() else {
            return Poll::Ready(Some(Err(UploadError::abort())));
        };
        if let Some(whole) = self.prefetched.take() {
            return Poll::Ready(Some(self.advance(Ok(whole))));
        }
        if self.offset >= self.len {
            if self.end_checked {
                return Poll::Ready(None);
            }
            // Nothing was read that would have looked past the end (an empty file).
            self.end_checked = true;
            let len = self.len;
            self.pending = Some(tokio::task::spawn_blocking(move || probe_end(&file, len)));
            return self.poll_chunk(cx);
        }
        let want = (self.len - self.offset).min(CHUNK_SIZE as u64) as usize;
        if let Some(chunk) = read_chunk_cached(&file, self.offset, want, self.len, &self.path) {
            return Poll::Ready(Some(self.advance(chunk)));
        }
        let (path, offset, len) = (self.path.clone(), self.offset, self.len);
        self.pending = Some(tokio::task::spawn_blocking(move || {
            read_chunk_blocking(&file, offset, want, len, &path)
        }));
        self.poll_chunk(cx)
    }

    fn advance(&mut self, chunk: Chunk) -> Chunk {
        match chunk {
            Ok(bytes) => {
                self.offset += bytes.len() as u64;
                // A read that reaches the end also checks that nothing follows.
                self.end_checked |= self.offset >= self.len && !bytes.is_empty();
                Ok(bytes)
            }
            Err(err) => {
                self.offset = self.len;
                Err(err)
            }
        }
    }
}

/// Opens a regular file without ever blocking on something else: the path is looked at before
/// it is opened (opening a FIFO waits for a writer; opening a device may do anything), and it is
/// opened non-blocking and checked again (it may have been replaced in between). Returns the
/// file, its length and, for a file that reports no size, its whole contents.
fn open_regular_file(path: &str) -> Result<(File, u64, Option<Bytes>), UploadError> {
    let meta = std::fs::metadata(path).map_err(|e| UploadError::from_file_io(&e, "open", path))?;
    check_regular(&meta, path)?;
    let file = open_nonblocking(path).map_err(|e| UploadError::from_file_io(&e, "open", path))?;
    let meta = file
        .metadata()
        .map_err(|e| UploadError::from_file_io(&e, "fstat", path))?;
    check_regular(&meta, path)?;
    if meta.len() > 0 {
        return Ok((file, meta.len(), None));
    }
    let whole = read_unsized(&file, path)?;
    Ok((
        file,
        whole.len() as u64,
        Some(whole).filter(|w| !w.is_empty()),
    ))
}

fn check_regular(meta: &std::fs::Metadata, path: &str) -> Result<(), UploadError> {
    if meta.is_dir() {
        return Err(UploadError::new(
            ErrorCode::EISDIR,
            format!("EISDIR: illegal operation on a directory, read '{path}'"),
        ));
    }
    if !meta.is_file() {
        return Err(UploadError::not_regular_file(path));
    }
    Ok(())
}

#[cfg(unix)]
fn open_nonblocking(path: &str) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &str) -> io::Result<File> {
    File::open(path)
}

/// Reads a file that reports size 0 to its end: empty for a really empty file, the contents of
/// a `/proc` or `/sys` file, or `ERR_FILE_SIZE_UNKNOWN` past [`UNSIZED_LIMIT`].
fn read_unsized(file: &File, path: &str) -> Result<Bytes, UploadError> {
    let mut whole = Vec::new();
    loop {
        let part = read_at(file, whole.len() as u64, 64 << 10, ReadMode::Blocking)
            .map_err(|e| UploadError::from_file_io(&e, "read", path))?;
        if part.is_empty() {
            return Ok(Bytes::from(whole));
        }
        whole.extend_from_slice(&part);
        if whole.len() > UNSIZED_LIMIT {
            return Err(UploadError::new(
                ErrorCode::ERR_FILE_SIZE_UNKNOWN,
                format!(
                    "the file reports no size and holds more than {} MiB: '{path}'",
                    UNSIZED_LIMIT >> 20
                ),
            ));
        }
    }
}

/// Checks that nothing can be read at `len`: the file did not grow since it was measured.
fn probe_end(file: &File, len: u64) -> Chunk {
    match read_at(file, len, 1, ReadMode::Blocking) {
        Ok(probe) if probe.is_empty() => Ok(Bytes::new()),
        _ => Err(UploadError::file_changed()),
    }
}

/// Reads up to `want` bytes at `offset` only if that needs no disk I/O; `None` when it would.
/// When the read reaches `len`, also checks (without blocking) that nothing follows.
fn read_chunk_cached(file: &File, offset: u64, want: usize, len: u64, path: &str) -> Option<Chunk> {
    let buf = match read_at(file, offset, want, ReadMode::CachedOnly) {
        Ok(buf) => buf,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
        Err(e) if e.kind() == io::ErrorKind::Unsupported => return None,
        Err(e) => return Some(Err(UploadError::from_file_io(&e, "read", path))),
    };
    if buf.is_empty() {
        return Some(Err(UploadError::file_changed()));
    }
    if offset + buf.len() as u64 == len {
        match read_at(file, len, 1, ReadMode::CachedOnly) {
            Ok(probe) if probe.is_empty() => {}
            // Data past the end, cached or not (at the end of a file the read returns 0 at once).
            Ok(_) => return Some(Err(UploadError::file_changed())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Some(Err(UploadError::file_changed()))
            }
            Err(_) => return None,
        }
    }
    Some(Ok(Bytes::from(buf)))
}

/// Reads exactly `want` bytes at `offset`, waiting for the disk if needed; when that reaches
/// `len`, checks that the file did not grow.
fn read_chunk_blocking(file: &File, offset: u64, want: usize, len: u64, path: &str) -> Chunk {
    let io_err = |e: io::Error| UploadError::from_file_io(&e, "read", path);
    let mut buf = Vec::with_capacity(want);
    while buf.len() < want {
        let at = offset + buf.len() as u64;
        let part = read_at(file, at, want - buf.len(), ReadMode::Blocking).map_err(io_err)?;
        if part.is_empty() {
            return Err(UploadError::file_changed());
        }
        buf.extend_from_slice(&part);
    }
    if offset + want as u64 == len {
        let probe = read_at(file, len, 1, ReadMode::Blocking).map_err(io_err)?;
        if !probe.is_empty() {
            return Err(UploadError::file_changed());
        }
    }
    Ok(Bytes::from(buf))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadMode {
    /// May wait for the disk.
    Blocking,
    /// Fails with `WouldBlock` rather than wait for the disk (`Unsupported` where the platform
    /// or file system cannot tell).
    CachedOnly,
}

/// One positioned read of up to `want` bytes into a fresh buffer, without zero-filling it first.
/// `CachedOnly` is the raw `preadv2` system call with `RWF_NOWAIT` (Linux 4.14+), called directly
/// so that the binary does not need a C library that exports `preadv2`.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn read_at(file: &File, offset: u64, want: usize, mode: ReadMode) -> io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;

    let fd = file.as_raw_fd();
    let offset = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
    let mut buf: Vec<u8> = Vec::with_capacity(want);
    loop {
        let n: isize = match mode {
            // SAFETY: the kernel writes at most `want` bytes into `buf`'s spare capacity, which
            // is at least `want` bytes long and outlives the call.
            ReadMode::Blocking => unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), want, offset) },
            ReadMode::CachedOnly => {
                let iov = libc::iovec {
                    iov_base: buf.as_mut_ptr().cast(),
                    iov_len: want,
                };
                // SAFETY: as above; `iov` describes that spare capacity and lives across the
                // call. On 64-bit targets the offset goes whole in `pos_l`, `pos_h` is 0.
                unsafe {
                    libc::syscall(
                        libc::SYS_preadv2,
                        fd,
                        &iov as *const libc::iovec,
                        1,
                        offset,
                        0,
                        libc::RWF_NOWAIT,
                    ) as isize
                }
            }
        };
        if n >= 0 {
            // SAFETY: the kernel initialized the first `n <= want` bytes.
            unsafe { buf.set_len(n as usize) };
            return Ok(buf);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Err(io::ErrorKind::WouldBlock.into()),
            Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL)
                if mode == ReadMode::CachedOnly =>
            {
                return Err(io::ErrorKind::Unsupported.into())
            }
            _ => return Err(err),
        }
    }
}

/// One positioned read of up to `want` bytes (portable: the buffer is zero-filled first).
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn read_at(file: &File, offset: u64, want: usize, mode: ReadMode) -> io::Result<Vec<u8>> {
    if mode == ReadMode::CachedOnly {
        return Err(io::ErrorKind::Unsupported.into());
    }
    let mut buf = vec![0u8; want];
    #[cfg(unix)]
    let n = std::os::unix::fs::FileExt::read_at(file, &mut buf, offset)?;
    #[cfg(windows)]
    let n = std::os::windows::fs::FileExt::seek_read(file, &mut buf, offset)?;
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("upload-task-{}-{name}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        f.write_all(bytes).unwrap();
        path
    }

    /// Reads the whole file through both paths, as announced with `len`.
    fn read_all(path: &std::path::Path, len: u64, cached: bool) -> Vec<Chunk> {
        let file = File::open(path).unwrap();
        let mut out = Vec::new();
        let mut offset = 0;
        while offset < len {
            let want = (len - offset).min(CHUNK_SIZE as u64) as usize;
            let chunk = if cached {
                read_chunk_cached(&file, offset, want, len, "p").expect("a fresh file is cached")
            } else {
                read_chunk_blocking(&file, offset, want, len, "p")
            };
            match &chunk {
                Ok(b) => offset += b.len() as u64,
                Err(_) => offset = len,
            }
            out.push(chunk);
        }
        out
    }

    #[test]
    fn reads_the_whole_file_in_chunks() {
        let data: Vec<u8> = (0..(CHUNK_SIZE * 2 + 10)).map(|i| i as u8).collect();
        let path = temp_file("whole", &data);
        for cached in [false, true] {
            let chunks = read_all(&path, data.len() as u64, cached);
            assert_eq!(chunks.len(), 3);
            let joined: Vec<u8> = chunks
                .into_iter()
                .flat_map(|c| c.unwrap().to_vec())
                .collect();
            assert_eq!(joined, data);
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_file_that_grew_or_shrank_fails() {
        let path = temp_file("changed", b"0123456789");
        for cached in [false, true] {
            for announced in [5u64, 20] {
                let chunks = read_all(&path, announced, cached);
                let last = chunks.last().unwrap().as_ref().unwrap_err();
                assert_eq!(last.code, ErrorCode::ERR_FILE_CHANGED);
                let sent: usize = chunks.iter().flatten().map(|b| b.len()).sum();
                assert!((sent as u64) < announced, "the body never completes");
            }
        }
        std::fs::remove_file(path).unwrap();
    }

    /// Polls the source to its end: its chunks' bytes, or the error that ended it.
    async fn read_source(source: &mut FileSource) -> Result<Vec<u8>, UploadError> {
        let mut out = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| source.poll_chunk(cx)).await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn an_empty_file_that_grows_before_it_is_sent_fails() {
        let path = temp_file("grows", b"");
        let mut source = FileSource::open(path.to_string_lossy().into_owned())
            .await
            .unwrap();
        assert_eq!(source.len(), 0);
        std::fs::write(&path, b"late bytes").unwrap();
        let err = read_source(&mut source).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::ERR_FILE_CHANGED);
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn an_empty_file_that_stays_empty_is_sent_empty() {
        let path = temp_file("empty", b"");
        let mut source = FileSource::open(path.to_string_lossy().into_owned())
            .await
            .unwrap();
        assert_eq!(read_source(&mut source).await.unwrap(), b"");
        std::fs::remove_file(path).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_proc_file_that_reports_no_size_is_read_whole() {
        let expected = std::fs::read("/proc/version").unwrap();
        assert_eq!(std::fs::metadata("/proc/version").unwrap().len(), 0);
        let mut source = FileSource::open("/proc/version".into()).await.unwrap();
        assert_eq!(source.len(), expected.len() as u64);
        assert_eq!(read_source(&mut source).await.unwrap(), expected);
    }

    #[cfg(unix)]
    #[test]
    fn opening_a_fifo_neither_blocks_nor_succeeds() {
        let path = std::env::temp_dir().join(format!("upload-task-{}-fifo", std::process::id()));
        let c_path = std::ffi::CString::new(path.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = open_regular_file(path.to_str().unwrap()).err().unwrap();
        assert_eq!(err.code, ErrorCode::ERR_NOT_REGULAR_FILE);
        std::fs::remove_file(path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn path_errors_have_node_codes() {
        let file = temp_file("plain", b"x");
        let through = format!("{}/x", file.display());
        assert_eq!(
            open_regular_file(&through).err().unwrap().code,
            ErrorCode::ENOTDIR
        );
        let long = std::env::temp_dir().join("n".repeat(300));
        let err = open_regular_file(long.to_str().unwrap()).err().unwrap();
        assert_eq!(err.code, ErrorCode::ENAMETOOLONG);
        assert!(
            err.reason
                .starts_with("ENAMETOOLONG: name too long, open '"),
            "{}",
            err.reason
        );
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn opening_a_directory_or_missing_file_fails_with_its_code() {
        let dir = std::env::temp_dir();
        let err = open_regular_file(dir.to_str().unwrap()).err().unwrap();
        assert_eq!(err.code, ErrorCode::EISDIR);
        let err = open_regular_file("/definitely/not/here").err().unwrap();
        assert_eq!(err.code, ErrorCode::ENOENT);
    }
}
