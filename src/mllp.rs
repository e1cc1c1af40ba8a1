//! The optional MLLP listener (setting `mllp_port`): lab systems send HL7 messages over TCP,
//! framed 0x0B … 0x1C 0x0D; each frame is ingested like an API request and answered with an
//! HL7 ACK (AA stored, AE stored in the error queue, AR not an HL7 message or not stored).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::audit::Actor;
use crate::db::DbPool;
use crate::domain::hl7::{
    AckCode, AckHeader, MllpDecoder, MllpEvent, RawMessage, build_ack, mllp_frame,
};
use crate::services::pathology::{Sender, Source, ingest};

/// Binds the listener and serves it in the background; returns the bound port.
pub fn start(address: &str, port: u16, pool: DbPool) -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((address, port))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?.port();
    let listener = TcpListener::from_std(listener)?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        if let Err(e) = serve(stream, pool).await {
                            tracing::warn!(error = %e, "MLLP connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "MLLP accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
    });
    tracing::info!(port = bound, "MLLP listener on");
    Ok(bound)
}

async fn serve(mut stream: TcpStream, pool: DbPool) -> anyhow::Result<()> {
    let mut decoder = MllpDecoder::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buffer).await?;
        let events = if n == 0 {
            decoder.finish()
        } else {
            decoder.feed(buffer.get(..n).unwrap_or_default())
        };
        for event in events {
            let reply = match event {
                MllpEvent::Frame(bytes) => answer(bytes, pool.clone()).await,
                MllpEvent::Garbage { bytes } => {
                    tracing::warn!(bytes, "MLLP: bytes outside a frame skipped");
                    continue;
                }
                MllpEvent::Oversized { bytes } | MllpEvent::Truncated { bytes } => {
                    tracing::warn!(bytes, "MLLP: incomplete or oversized frame dropped");
                    build_ack(
                        &AckHeader::default(),
                        AckCode::AR,
                        "frame incomplete or too large",
                        crate::models::now(),
                    )
                }
            };
            stream.write_all(&mllp_frame(reply.as_bytes())).await?;
        }
        if n == 0 {
            return Ok(());
        }
    }
}

/// Ingests one frame and builds its ACK.
async fn answer(bytes: Vec<u8>, pool: DbPool) -> String {
    let header = AckHeader::from_raw(&RawMessage::from_text(&String::from_utf8_lossy(&bytes)));
    let stored = tokio::task::spawn_blocking(move || -> Result<_, crate::error::AppError> {
        let mut conn = pool.get()?;
        let sender = Sender {
            actor: Actor::system("mllp"),
            lab_token_id: None,
            file_name: None,
            facility_id: None,
        };
        ingest(&mut conn, Source::Mllp, &bytes, &sender)
    })
    .await;
    let now = crate::models::now();
    let Some(header) = header else {
        return build_ack(&AckHeader::default(), AckCode::AR, "no MSH segment", now);
    };
    match stored {
        Ok(Ok(summary)) => {
            let errors: Vec<String> = summary
                .outcomes
                .iter()
                .flat_map(|o| o.errors.clone())
                .collect();
            if errors.is_empty() {
                build_ack(&header, AckCode::AA, "stored", now)
            } else {
                build_ack(&header, AckCode::AE, &errors.join("; "), now)
            }
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "MLLP message not stored");
            build_ack(&header, AckCode::AR, "not stored; send again", now)
        }
        Err(e) => {
            tracing::error!(error = %e, "MLLP worker failed");
            build_ack(&header, AckCode::AR, "not stored; send again", now)
        }
    }
}
