//! One connection's requests: each on its own task, its body counted to the end and answered
//! with JSON.

use bytes::{Buf, Bytes};
use h3::server::{Connection, RequestResolver};
use http::{Response, StatusCode};

use crate::{cpu, BoxError};

type Quic = h3_quinn::Connection;

/// Accepts the connection and serves its requests until the client closes it.
pub async fn serve_connection(incoming: quinn::Incoming) -> Result<(), BoxError> {
    let conn = incoming.await?;
    let mut h3: Connection<Quic, Bytes> = Connection::new(h3_quinn::Connection::new(conn)).await?;
    loop {
        match h3.accept().await {
            Ok(Some(resolver)) => {
                tokio::spawn(async move {
                    if let Err(e) = serve_request(resolver).await {
                        eprintln!("h3-sink: request: {e}");
                    }
                });
            }
            Ok(None) => return Ok(()),
            // The client closing its connection ends it too (no error worth a line).
            Err(e) if e.is_h3_no_error() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

async fn serve_request(resolver: RequestResolver<Quic, Bytes>) -> Result<(), BoxError> {
    let (request, mut stream) = resolver.resolve_request().await?;
    let cpu0 = cpu::process_ms();
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut bytes: u64 = 0;
    while let Some(chunk) = stream.recv_data().await? {
        bytes += chunk.remaining() as u64;
    }
    let sink_cpu_ms = cpu::process_ms() - cpu0;
    let (status, error) = match declared {
        Some(n) if n != bytes => (
            StatusCode::BAD_REQUEST,
            format!(",\"error\":\"content-length {n} but {bytes} bytes arrived\""),
        ),
        _ => (StatusCode::OK, String::new()),
    };
    let body = format!(
        "{{\"bytes\":{bytes},\"httpVersion\":\"HTTP/3\",\"sinkCpuMs\":{sink_cpu_ms}{error}}}"
    );
    let response = Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(())?;
    stream.send_response(response).await?;
    stream.send_data(Bytes::from(body)).await?;
    stream.finish().await?;
    Ok(())
}
