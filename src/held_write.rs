//! A connection whose write failures wait for the read side. A server may answer early (413 with
//! a body and `Connection: close`) and close without reading the rest of the request body: the
//! next write then fails with a broken pipe or a reset while the response already sits in the
//! socket's receive buffer. hyper's HTTP/1.1 dispatcher polls its reads before its writes, but a
//! write error ends the exchange at once, before a later read would have parsed that response.
//!
//! [`HeldWrite`] holds such a write error: the write stays pending until the read side has made
//! progress (a read returned data, which hyper parses and delivers before it writes again), and
//! then returns the held error; a read that reaches its end or fails while an error is held
//! returns the held error instead, the connection's first failure, as hyper would have seen it.
//! The wait is bounded ([`HOLD_LIMIT`]) for a connection whose reads nobody polls any more (a
//! response already read whole): then the error is returned as it was. No busy loop: a held
//! write is woken by the read side's progress or by the bound's timer.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// The longest a write error is held waiting for the read side.
const HOLD_LIMIT: Duration = Duration::from_secs(1);

/// A connection whose lost-connection write errors wait for its read side (see the module).
#[derive(Debug)]
pub struct HeldWrite<T> {
    inner: T,
    /// Whether a read has returned data, its end or an error since the last write that went out.
    read_progressed: bool,
    /// The held write error, with the timer that bounds the hold.
    held: Option<(io::Error, Pin<Box<Sleep>>)>,
    /// The task of the held write, woken when the read side progresses.
    writer: Option<Waker>,
}

impl<T> HeldWrite<T> {
    /// `inner`, its write errors held for its read side.
    pub fn new(inner: T) -> Self {
        HeldWrite {
            inner,
            read_progressed: false,
            held: None,
            writer: None,
        }
    }

    /// The connection under the wrapper.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// Notes progress on the read side and wakes a held write.
    fn read_progress(&mut self) {
        self.read_progressed = true;
        if let Some(writer) = self.writer.take() {
            writer.wake();
        }
    }

    /// A write (`write` on the connection under the wrapper), unless an error is held: then
    /// the held error once it may be returned.
    fn poll_guarded<R>(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>>
    where
        T: Unpin,
    {
        if self.held.is_some() {
            return self.poll_held(cx);
        }
        let result = write(Pin::new(&mut self.inner), cx);
        self.settle(cx, result)
    }

    /// What a write that got `result` returns: a lost-connection error is held until the read
    /// side progressed or the bound passed.
    fn settle<R>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Ready(Err(err)) if lost_connection(&err) && !self.read_progressed => {
                self.held = Some((err, Box::pin(tokio::time::sleep(HOLD_LIMIT))));
                self.poll_held(cx)
            }
            Poll::Ready(Ok(written)) => {
                self.read_progressed = false;
                Poll::Ready(Ok(written))
            }
            other => other,
        }
    }

    /// The held error once it may be returned; pending (woken by a read or the timer) until then.
    fn poll_held<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let Some((_, limit)) = self.held.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        if !self.read_progressed && limit.as_mut().poll(cx).is_pending() {
            self.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        self.writer = None;
        match self.held.take() {
            Some((err, _)) => Poll::Ready(Err(err)),
            None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }
}

/// Whether a write error says the peer is gone (closed, or reset the connection).
fn lost_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

impl<T: AsyncRead + Unpin> AsyncRead for HeldWrite<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = ready!(Pin::new(&mut this.inner).poll_read(cx, buf));
        // Data, the end (nothing filled), or an error: each is progress for a held write.
        this.read_progress();
        let ended = result.is_err() || buf.filled().len() == before;
        match this.held.take() {
            // The write failed first: that failure is the connection's, as it was before the
            // read side ended (a server that closed, or reset, while the body was being written).
            Some((err, _)) if ended => Poll::Ready(Err(err)),
            held => {
                this.held = held;
                Poll::Ready(result)
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeldWrite<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_guarded(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_guarded(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_guarded(cx, |inner, cx| inner.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.held = None;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn write_once(
        conn: &mut HeldWrite<tokio::io::DuplexStream>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        Pin::new(conn).poll_write(cx, b"body")
    }

    #[tokio::test]
    async fn a_write_error_waits_until_the_answer_is_read() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        theirs.write_all(b"413").await.unwrap();
        drop(theirs);
        let mut conn = HeldWrite::new(ours);
        poll_fn(|cx| {
            assert!(write_once(&mut conn, cx).is_pending(), "held");
            assert!(write_once(&mut conn, cx).is_pending(), "still held");
            Poll::Ready(())
        })
        .await;
        let mut answer = [0u8; 3];
        conn.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"413");
        let err = poll_fn(|cx| write_once(&mut conn, cx)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_error_nobody_reads_for_is_returned_after_the_limit() {
        let (ours, theirs) = tokio::io::duplex(64);
        drop(theirs);
        let mut conn = HeldWrite::new(ours);
        let start = tokio::time::Instant::now();
        let err = conn.write_all(b"body").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(start.elapsed(), HOLD_LIMIT);
    }

    #[tokio::test]
    async fn a_read_that_ends_while_an_error_is_held_returns_that_error() {
        let (ours, theirs) = tokio::io::duplex(64);
        drop(theirs);
        let mut conn = HeldWrite::new(ours);
        poll_fn(|cx| {
            assert!(write_once(&mut conn, cx).is_pending(), "held");
            Poll::Ready(())
        })
        .await;
        let mut rest = Vec::new();
        let err = conn.read_to_end(&mut rest).await.unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::BrokenPipe,
            "the write's failure, not the end"
        );
    }
}
