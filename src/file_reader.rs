//! Reads the file on a blocking thread, ahead of the network, in large chunks through a small
//! bounded channel: constant memory, and the disk never waits for the socket or back.

use std::fs::File;
use std::io::Read;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::error::{ErrorCode, UploadError};

/// Bytes read from disk in one go; large reads keep syscalls and copies per GiB low.
pub const CHUNK_SIZE: usize = 1 << 20;
/// Chunks read ahead of the network: memory in flight is at most `(READ_AHEAD + 1) * CHUNK_SIZE`.
pub const READ_AHEAD: usize = 3;

/// A chunk of the file, or why the file could not be read whole.
pub type Chunk = Result<Bytes, UploadError>;

/// An open regular file and its size at the moment it was opened.
struct OpenFile {
    file: File,
    len: u64,
}

/// Opens `path` and starts reading it on one blocking thread. Returns the file's size (the
/// size the body announces) and a receiver that yields exactly that many bytes in chunks, or an
/// error as soon as the file turns out shorter or longer. Dropping the receiver stops the reader.
pub async fn start(path: String) -> Result<(u64, mpsc::Receiver<Chunk>), UploadError> {
    let (opened_tx, opened_rx) = oneshot::channel();
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    tokio::task::spawn_blocking(move || match open_blocking(&path) {
        Err(err) => {
            let _ = opened_tx.send(Err(err));
        }
        Ok(OpenFile { file, len }) => {
            if opened_tx.send(Ok(len)).is_ok() {
                read_exactly(file, len, &path, |chunk| tx.blocking_send(chunk).is_ok());
            }
        }
    });
    let len = opened_rx.await.unwrap_or_else(|_| {
        Err(UploadError::new(
            ErrorCode::Network,
            "the file reader stopped before opening the file",
        ))
    })?;
    Ok((len, rx))
}

fn open_blocking(path: &str) -> Result<OpenFile, UploadError> {
    let file = File::open(path).map_err(|e| UploadError::from_file_io(&e, "open", path))?;
    let meta = file
        .metadata()
        .map_err(|e| UploadError::from_file_io(&e, "fstat", path))?;
    if meta.is_dir() {
        return Err(UploadError::new(
            ErrorCode::IsDirectory,
            format!("EISDIR: illegal operation on a directory, read '{path}'"),
        ));
    }
    if !meta.is_file() {
        return Err(UploadError::new(
            ErrorCode::NotRegularFile,
            format!("not a regular file: '{path}'"),
        ));
    }
    Ok(OpenFile {
        file,
        len: meta.len(),
    })
}

/// Reads `len` bytes of `file` in chunks, handing each to `send` (which returns false to stop).
/// Before the last chunk goes out, a one-byte probe checks that the file did not grow.
fn read_exactly(mut file: File, len: u64, path: &str, mut send: impl FnMut(Chunk) -> bool) {
    let mut remaining = len;
    while remaining > 0 {
        let want = remaining.min(CHUNK_SIZE as u64);
        let mut buf = Vec::with_capacity(want as usize);
        match (&mut file).take(want).read_to_end(&mut buf) {
            Ok(n) if (n as u64) < want => {
                send(Err(UploadError::file_changed()));
                return;
            }
            Ok(n) => remaining -= n as u64,
            Err(e) => {
                send(Err(UploadError::from_file_io(&e, "read", path)));
                return;
            }
        }
        if remaining == 0 {
            let mut probe = [0u8; 1];
            match file.read(&mut probe) {
                Ok(0) => {}
                Ok(_) => {
                    send(Err(UploadError::file_changed()));
                    return;
                }
                Err(e) => {
                    send(Err(UploadError::from_file_io(&e, "read", path)));
                    return;
                }
            }
        }
        if !send(Ok(Bytes::from(buf))) {
            return;
        }
    }
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

    fn collect(path: &std::path::Path, len: u64) -> Vec<Chunk> {
        let mut out = Vec::new();
        let file = File::open(path).unwrap();
        read_exactly(file, len, "p", |c| {
            out.push(c);
            true
        });
        out
    }

    #[test]
    fn reads_the_whole_file_in_chunks() {
        let data: Vec<u8> = (0..(CHUNK_SIZE * 2 + 10)).map(|i| i as u8).collect();
        let path = temp_file("whole", &data);
        let chunks = collect(&path, data.len() as u64);
        let joined: Vec<u8> = chunks
            .into_iter()
            .flat_map(|c| c.unwrap().to_vec())
            .collect();
        assert_eq!(joined, data);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_file_that_grew_or_shrank_fails() {
        let path = temp_file("changed", b"0123456789");
        for announced in [5u64, 20] {
            let chunks = collect(&path, announced);
            let last = chunks.last().unwrap().as_ref().unwrap_err();
            assert_eq!(last.code, ErrorCode::FileChanged);
            assert!(
                chunks.iter().all(|c| c.is_err()),
                "no partial chunk is sent"
            );
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn opening_a_directory_or_missing_file_fails_with_its_code() {
        let dir = std::env::temp_dir();
        let err = open_blocking(dir.to_str().unwrap()).err().unwrap();
        assert_eq!(err.code, ErrorCode::IsDirectory);
        let err = open_blocking("/definitely/not/here").err().unwrap();
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}
