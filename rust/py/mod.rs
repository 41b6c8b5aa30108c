//! The Python bindings: thin wrappers that move values between Python and
//! the plain Rust codec. Everything here runs with the interpreter attached.

mod attached;
mod build;
mod decoder;
mod emit;
mod encode;
mod errors;
mod fastcall;
mod feed;
mod ffi_ext;
mod json_module;
mod keys;
mod lane;
mod obj;
mod outbox;
mod packet;
mod router;
mod view;
mod ws;

use crate::codec::{DecoderOptions, PacketType, MAX_ACK_ID, RESERVED_EVENTS};
use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let types: Vec<(&str, u8)> = PacketType::ALL
        .iter()
        .map(|t| (t.name(), *t as u8))
        .collect();
    m.add("PACKET_TYPES", types)?;
    m.add("RESERVED_EVENTS", RESERVED_EVENTS.to_vec())?;
    m.add("MAX_ACK_ID", MAX_ACK_ID)?;
    let defaults = DecoderOptions::default();
    m.add("DEFAULT_MAX_ATTACHMENTS", defaults.max_attachments)?;
    m.add("DEFAULT_MAX_DEPTH", defaults.max_depth)?;
    m.add("DEFAULT_MAX_INT_DIGITS", defaults.max_int_digits)?;
    m.add("DEPTH_CEILING", DecoderOptions::DEPTH_CEILING)?;
    m.add_class::<packet::Packet>()?;
    m.add_class::<decoder::Decoder>()?;
    m.add_class::<router::Router>()?;
    m.add_class::<lane::EventLane>()?;
    m.add_class::<lane::LaneSink>()?;
    m.add_class::<outbox::WsOutbox>()?;
    m.add_class::<feed::WsFeed>()?;
    m.add_function(wrap_pyfunction!(packet::encode, m)?)?;
    m.add_function(wrap_pyfunction!(packet::ws_packet, m)?)?;
    m.add_function(wrap_pyfunction!(packet::is_packet_valid, m)?)?;
    m.add_function(wrap_pyfunction!(outbox::broadcast_frames, m)?)?;
    m.add_function(wrap_pyfunction!(emit::emit_to_one, m)?)?;
    ws::register(m)?;
    fastcall::install(m)?;
    Ok(())
}
