//! An HTTP/3 upload sink for the benchmark (bench/run.js, scenario h3).
//!
//!     h3-sink CERT_PEM KEY_PEM
//!
//! Listens on 127.0.0.1, a free UDP port, and prints `{"event":"ready","port":N}` on stdout once
//! it accepts connections (the contract of the tests' `h3_server.py`). Each request's body is read
//! to its end and counted; the answer is 200 with JSON `{"bytes","httpVersion","sinkCpuMs"}`
//! (`sinkCpuMs`: CPU of the whole process while that body streamed), or 400 with an `error`
//! when a `content-length` disagrees with the bytes that came. Runs until killed.

mod config;
mod cpu;
mod request;

use std::error::Error;
use std::io::Write;

type BoxError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let (Some(cert), Some(key)) = (args.next(), args.next()) else {
        return Err("usage: h3-sink CERT_PEM KEY_PEM".into());
    };
    let endpoint = config::endpoint(&cert, &key)?;
    let port = endpoint.local_addr()?.port();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{{\"event\":\"ready\",\"port\":{port}}}")?;
    out.flush()?;
    drop(out);
    while let Some(incoming) = endpoint.accept().await {
        tokio::spawn(async move {
            if let Err(e) = request::serve_connection(incoming).await {
                eprintln!("h3-sink: connection: {e}");
            }
        });
    }
    Ok(())
}
