//! The request body: multipart head, the file's chunks, the tail. It has an exact size, so
//! hyper sends `Content-Length` (never chunked); it counts bytes for progress as it hands them
//! over, and stops at once when the task is aborted.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio_util::sync::CancellationToken;

use crate::error::UploadError;
use crate::file_reader::FileSource;
use crate::listeners::Listeners;
use crate::multipart::MultipartLayout;
use crate::progress::ProgressThrottle;

/// The largest frame handed to hyper. File chunks are read 1 MiB at a time but written in
/// smaller frames (split without copying): the receiver starts reading sooner and the socket's
/// send buffer rarely fills, which measured ~20 % faster on loopback than 1 MiB writes.
pub const FRAME_SIZE: usize = 128 << 10;

enum Stage {
    Head,
    File,
    Tail,
    Done,
}

/// The streaming multipart body of one upload.
pub struct UploadBody {
    stage: Stage,
    layout: MultipartLayout,
    source: FileSource,
    unsent: Bytes,
    sent: u64,
    total: u64,
    throttle: ProgressThrottle,
    listeners: Arc<Listeners>,
    token: CancellationToken,
}

impl UploadBody {
    /// A body that frames the contents of `source` with `layout`.
    pub fn new(
        layout: MultipartLayout,
        source: FileSource,
        listeners: Arc<Listeners>,
        token: CancellationToken,
    ) -> Self {
        let total = layout.content_length(source.len());
        UploadBody {
            stage: Stage::Head,
            layout,
            source,
            unsent: Bytes::new(),
            sent: 0,
            total,
            throttle: ProgressThrottle::new(total, Instant::now()),
            listeners,
            token,
        }
    }

    /// Counts `data` as handed over, emits progress if due, and wraps it in a frame.
    fn hand_over(&mut self, data: Bytes) -> Poll<Option<Result<Frame<Bytes>, UploadError>>> {
        self.sent += data.len() as u64;
        if let Some(event) = self.throttle.advance(self.sent, Instant::now()) {
            self.listeners.emit_progress(event, self.sent == self.total);
        }
        Poll::Ready(Some(Ok(Frame::data(data))))
    }
}

impl Body for UploadBody {
    type Data = Bytes;
    type Error = UploadError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, UploadError>>> {
        if self.token.is_cancelled() {
            self.stage = Stage::Done;
            return Poll::Ready(Some(Err(UploadError::abort())));
        }
        loop {
            match self.stage {
                Stage::Head => {
                    self.stage = Stage::File;
                    let head = self.layout.head.clone();
                    return self.hand_over(head);
                }
                Stage::File if !self.unsent.is_empty() => {
                    let frame = next_frame(&mut self.unsent);
                    return self.hand_over(frame);
                }
                Stage::File => match self.source.poll_chunk(cx) {
                    Poll::Ready(Some(Ok(chunk))) => self.unsent = chunk,
                    Poll::Ready(Some(Err(err))) => {
                        self.stage = Stage::Done;
                        return Poll::Ready(Some(Err(err)));
                    }
                    Poll::Ready(None) => self.stage = Stage::Tail,
                    Poll::Pending => return Poll::Pending,
                },
                Stage::Tail => {
                    self.stage = Stage::Done;
                    let tail = self.layout.tail.clone();
                    return self.hand_over(tail);
                }
                Stage::Done => return Poll::Ready(None),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.total - self.sent)
    }
}

/// Takes the next frame of at most [`FRAME_SIZE`] bytes off the front of `unsent`.
fn next_frame(unsent: &mut Bytes) -> Bytes {
    if unsent.len() <= FRAME_SIZE {
        std::mem::take(unsent)
    } else {
        unsent.split_to(FRAME_SIZE)
    }
}
