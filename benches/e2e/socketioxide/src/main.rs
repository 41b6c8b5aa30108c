//! The end-to-end benchmark's application on socketioxide 0.18 (a Socket.IO server written in
//! Rust): the same handlers as `app.py` and `server.mjs`, on a current-thread tokio runtime so
//! that its CPU-seconds compare with one Python process. Run by `run.py` as
//! `bench-socketioxide <port> [host]`.

use serde::Deserialize;
use serde_json::Value;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::ConnectHandler;
use socketioxide::SocketIo;

const TOKEN: &str = "bench";

#[derive(Debug)]
struct Forbidden;

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("forbidden")
    }
}

#[derive(Deserialize)]
struct Auth {
    token: Option<String>,
}

async fn check_token(Data(auth): Data<Auth>) -> Result<(), Forbidden> {
    match auth.token.as_deref() {
        Some(TOKEN) => Ok(()),
        _ => Err(Forbidden),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .ok_or("usage: bench-socketioxide <port> [host]")?
        .parse()?;
    let host = args.next().unwrap_or_else(|| "127.0.0.1".to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(host, port))
}

async fn serve(host: String, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let (layer, io) = SocketIo::new_layer();

    io.ns("/", async |s: SocketRef| {
        s.on("echo", async |Data::<Value>(data), ack: AckSender| {
            ack.send(&data).ok();
        });
        s.on("bounce", async |s: SocketRef, Data::<Value>(data)| {
            s.emit("bounced", &data).ok();
        });
    });

    io.ns("/ctl", async |s: SocketRef| {
        s.on(
            "bcast",
            async |io: SocketIo, Data::<(usize, Value)>((n, payload)), ack: AckSender| {
                for _ in 0..n {
                    io.emit("tick", &payload).await.ok();
                }
                ack.send(&n).ok();
            },
        );
    });

    io.ns("/mw", (async |_: SocketRef| {}).with(check_token));

    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            tokio::signal::ctrl_c().await.ok();
        })
        .await?;
    Ok(())
}
