//! socketio-rs native core.
//!
//! Plain Rust, testable with `cargo test` alone:
//! - [`codec`]: the Socket.IO v5 packet format (header, payload rules, the
//!   binary-attachment decoder state machine), following socket.io-parser 4.2.7;
//! - [`json`]: a JSON parser that builds values through a [`json::Builder`]
//!   (Python objects in the extension, [`json::Value`] in tests) and the JSON
//!   text writers shared by the encoders;
//! - [`ws`]: a server-side WebSocket frame codec (RFC 6455), with
//!   permessage-deflate (RFC 7692).
//!
//! The PyO3 bindings live in `py/` and are compiled only with the `python`
//! feature, which maturin enables.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod codec;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
pub mod router;
pub mod ws;

#[cfg(feature = "python")]
mod py;

pub use error::Error;
